"""The operator's SLA gauge on a real database: dossiers per department and SLA state, as the
officers' queue derives them from today's business date (the alert on overdue dossiers reads
it, deploy/prometheus/alerts.yml)."""

from __future__ import annotations

from datetime import datetime

import pytest
from prometheus_client import REGISTRY

from services.processing.handlers.sla_gauge import measure_sla_states
from shared.reference.workdays import BUSINESS_TZ
from tests.integration.processing.support import MONDAY, submit

pytestmark = pytest.mark.integration


def gauge(department: str, state: str) -> float | None:
    return REGISTRY.get_sample_value("dossiers_by_sla_state",
                                     {"department": department, "state": state})


async def test_dossiers_are_counted_per_department_and_sla_state(deps, pool, clock) -> None:
    codes = {}
    for name, received in [("overdue", datetime(2025, 2, 10, 9)),  # due 24/2
                           ("at_risk", datetime(2025, 2, 17, 9)),  # due 3/3, today
                           ("on_track", MONDAY)]:  # due 17/3
        clock.now = received.replace(tzinfo=BUSINESS_TZ)
        codes[name] = await submit(deps, "1.009995")
    clock.now = MONDAY
    department = await pool.fetchval("SELECT department_code FROM dossier_case WHERE code = $1",
                                     codes["overdue"])

    await measure_sla_states(deps)
    assert {s: gauge(department, s) for s in ("on_track", "at_risk", "overdue", "paused")} == {
        "on_track": 1, "at_risk": 1, "overdue": 1, "paused": 0}

    clock.advance(days=30)  # a month on, nothing was decided: all three are overdue
    await measure_sla_states(deps)
    assert gauge(department, "overdue") == 3 and gauge(department, "on_track") == 0

    # every dossier closed: the department's states go back to 0, not stale at their last value
    await pool.execute("UPDATE dossier_case SET status = 'withdrawn'")
    await measure_sla_states(deps)
    assert {s: gauge(department, s) for s in ("on_track", "at_risk", "overdue", "paused")} == {
        "on_track": 0, "at_risk": 0, "overdue": 0, "paused": 0}
