"""At-risk and overdue scanning on a real database: once each per committed date, shared by
replicas without waiting on each other, and again once for an apology letter's new date."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest

from services.processing.handlers.deadlines import scan_deadlines
from shared.reference.workdays import BUSINESS_TZ
from tests.integration.processing.support import (
    MONDAY,
    act,
    submit,
)

pytestmark = pytest.mark.integration


async def flags(pool) -> list[tuple[str, str]]:
    """(event type, dossier code) of every at-risk/overdue event in the outbox."""
    rows = await pool.fetch("""SELECT payload FROM outbox_message
                               WHERE topic = 'dossier.events' ORDER BY id""")
    envelopes = [json.loads(bytes(r["payload"])) for r in rows]
    return [(e["event_type"], e["dossier_code"]) for e in envelopes
            if e["event_type"] in ("DossierAtRisk", "DossierOverdue")]


async def scan_until_done(deps, replicas: int) -> int:
    """Replicas scanning at once, one row per batch, until none finds anything."""
    async def replica() -> int:
        total = 0
        while flagged := await scan_deadlines(deps, batch_size=1):
            total += flagged
        return total
    return sum(await asyncio.gather(*(replica() for _ in range(replicas))))


@pytest.fixture
async def dossiers(deps, clock, http) -> dict[str, str]:
    codes = {}
    for name, received, procedure in [
        ("overdue", datetime(2025, 2, 10, 9), "1.009995"),  # due 24/2
        ("at_risk", datetime(2025, 2, 17, 9), "1.009995"),  # due 3/3, today
        ("on_track", MONDAY, "1.009995"),  # due 17/3
        ("paused", MONDAY, "VTH-LOCAL-03"),  # fee unpaid (due 10/3): clock stopped
        ("not_received", datetime(2025, 2, 10, 9), "VTH-LOCAL-01"),  # clock not started
    ]:
        clock.now = received.replace(tzinfo=BUSINESS_TZ)
        codes[name] = await submit(deps, procedure)
    clock.now = MONDAY
    return codes


async def test_each_dossier_is_flagged_once_however_many_replicas_scan(deps, pool, dossiers
                                                                       ) -> None:
    assert await scan_until_done(deps, replicas=4) == 2
    assert sorted(await flags(pool)) == sorted([("DossierOverdue", dossiers["overdue"]),
                                                ("DossierAtRisk", dossiers["at_risk"])])
    assert await scan_until_done(deps, replicas=2) == 0
    work = await pool.fetch("""SELECT payload FROM outbox_message
                               WHERE topic = 'department.ktht.work' ORDER BY id""")
    changes = [json.loads(bytes(r["payload"])) for r in work]
    assert sorted((c["payload"]["dossier_code"], c["payload"]["sla_state"]) for c in changes
                  if c["event_type"] == "WorkItemStatusChanged") == sorted(
        [(dossiers["overdue"], "overdue"), (dossiers["at_risk"], "at_risk")])


async def test_a_scan_skips_rows_another_replica_holds_instead_of_waiting(deps, pool,
                                                                          dossiers) -> None:
    async with pool.acquire() as other_replica, other_replica.transaction():
        await other_replica.execute("SELECT 1 FROM dossier_case WHERE code = $1 FOR UPDATE",
                                    dossiers["overdue"])
        async with asyncio.timeout(5):  # would hang on the lock without SKIP LOCKED
            assert await scan_deadlines(deps) == 1
    assert await flags(pool) == [("DossierAtRisk", dossiers["at_risk"])]
    assert await scan_deadlines(deps) == 1  # the row is free again: its turn now
    assert len(await flags(pool)) == 2


async def test_time_passing_and_an_apology_letter_flag_again_once(deps, pool, clock, http,
                                                                  dossiers) -> None:
    await scan_until_done(deps, replicas=1)
    clock.now = datetime(2025, 3, 4, 9, tzinfo=BUSINESS_TZ)  # the at-risk one is now late
    assert await scan_until_done(deps, replicas=2) == 1
    apology = await act(http, dossiers["at_risk"], "ktht", "approver", {
        "action": "issue_apology", "reason": "Chờ ý kiến cơ quan khác",
        "new_due_date": "2025-03-05"})
    assert apology.status_code == 200, apology.text
    assert apology.json()["original_due_date"] == "2025-03-03"
    assert apology.json()["sla_state"] == "at_risk"
    assert await scan_until_done(deps, replicas=2) == 1
    assert await scan_until_done(deps, replicas=2) == 0
    assert [f for f in await flags(pool) if f[1] == dossiers["at_risk"]] == [
        ("DossierAtRisk", dossiers["at_risk"]), ("DossierOverdue", dossiers["at_risk"]),
        ("DossierAtRisk", dossiers["at_risk"])]
