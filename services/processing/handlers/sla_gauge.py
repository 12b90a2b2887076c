"""The operator's view of the SLA: dossiers per department and SLA state, as a gauge.

Refreshed from the database every ``metrics_interval_s`` (the state is derived from today's
business date, never stored: see repository.queue), by every replica alike. The alert on
overdue dossiers reads it (deploy/prometheus/alerts.yml).
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from prometheus_client import Gauge

from services.processing.deps import Deps
from services.processing.domain.clock import SLA_STATES
from services.processing.repository.queue import count_sla_states

log = structlog.get_logger(__name__)

DOSSIERS_BY_SLA_STATE = Gauge("dossiers_by_sla_state",
                              "Dossiers of a department in each SLA state (on_track, at_risk, "
                              "overdue, paused)", ["department", "state"])


async def measure_sla_states(deps: Deps) -> dict[tuple[str, str], int]:
    """Set the gauge from the database; a department's state with no dossier reads 0."""
    today, near = deps.sla_dates(deps.now())
    async with deps.pool.acquire() as conn:
        rows = await count_sla_states(conn, today, near)
    counts = {(r["department_code"], r["sla_state"]): r["n"] for r in rows}
    departments = {d for d, _ in counts} | {labels[0] for labels in _known_labels()}
    for department in departments:
        for state in SLA_STATES:
            DOSSIERS_BY_SLA_STATE.labels(department, state).set(counts.get((department, state), 0))
    return counts


def _known_labels() -> list[tuple[str, ...]]:
    """The label sets set before: a department whose dossiers all closed goes back to 0."""
    return [tuple(s.labels.values()) for metric in DOSSIERS_BY_SLA_STATE.collect()
            for s in metric.samples]


async def watch_sla_states(deps: Deps) -> None:
    """Measure every ``deps.metrics_interval_s`` until cancelled (a background job)."""
    while True:
        try:
            await measure_sla_states(deps)
        except (OSError, asyncpg.PostgresError) as error:  # the next round measures again
            log.warning("SLA states not measured", error=repr(error))
        await asyncio.sleep(deps.metrics_interval_s)
