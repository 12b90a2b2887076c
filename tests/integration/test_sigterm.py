"""SIGTERM under load loses nothing: each service in turn is stopped the way compose stops a
container while dossiers flow (the launcher starts it again). In-flight batches finish or are
read again; every dossier reaches its result, no side effect is sent twice, and a graceful
stop of notification sends no email again."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.chaos.harness import SERVICES, Plan, run, table

pytestmark = pytest.mark.e2e

# No calm baseline: what this test asserts needs no timeline (the chaos test compares them).
PLAN = Plan(dossiers=60, kill_every_s=2.0, final_timeout_s=150.0, kills=SERVICES,
            signal=signal.SIGTERM, calm_baseline=False)


@pytest.mark.timeout(420)
async def test_sigterm_to_each_service_under_load_loses_nothing(tmp_path: Path) -> None:
    result = await asyncio.to_thread(run, PLAN, tmp_path / "stack")
    report = f"{table(result)}\nstuck: {result.stuck[:10]}\nerrors: {result.errors[:10]}"
    assert all(result.kills[service] >= 1 for service in SERVICES), report
    assert all(result.restarts[service] >= 1 for service in SERVICES), report
    assert result.stuck == [] and result.final == PLAN.dossiers, report
    assert result.duplicates == {"charges": 0, "refunds": 0, "shipments": 0, "sms": 0}, report
    assert result.emails_sent_again == 0, report
