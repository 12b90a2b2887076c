"""The small chaos run of ``make test``: 100 dossiers through the whole stack (fees, declines,
postal returns, SMS, supplements) while payment, the broker, notification and PostgreSQL are
killed with SIGKILL; then nothing lost, nothing sent twice, and every dossier's timeline the
same as the calm dossier's of its scenario. ``make chaos`` is the full run
(tests/chaos/__main__.py), which kills the sandboxes too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.chaos.harness import Plan, run, table

pytestmark = pytest.mark.e2e

PLAN = Plan(dossiers=100, kill_every_s=3.0, final_timeout_s=300.0,
            kills=("payment", "kafka", "notification", "postgres"))


@pytest.mark.timeout(900)  # the waits are on conditions: a loaded machine only is slower
async def test_nothing_is_lost_or_repeated_when_parts_of_the_stack_are_killed(
        tmp_path: Path) -> None:
    result = await asyncio.to_thread(run, PLAN, tmp_path / "stack")
    report = (f"{table(result)}\nstuck: {result.stuck[:10]}\nerrors: {result.errors[:10]}"
              f"\ntimelines: {result.timelines_differing[:5]}")
    assert result.stuck == [], report
    assert result.final == result.submitted == PLAN.dossiers, report
    assert dict(result.kills) == {"payment": 1, "kafka": 1, "notification": 1, "postgres": 1}
    assert all(result.restarts[part] >= 1 for part in result.kills), result.restarts
    assert result.duplicates == {"charges": 0, "refunds": 0, "shipments": 0, "sms": 0}, report
    assert result.emails_sent_again <= result.email_bound, report
    assert result.effects["charges"] == result.with_fee, report  # every fee paid, once
    assert result.calm_dossiers > 0 and result.timelines_compared == PLAN.dossiers, report
    assert result.timelines_differing == [], report
    assert result.effects["sms"] > 0 and result.supplements > 0, report
