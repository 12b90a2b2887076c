"""An event of any topic is recorded in the current build (once, by its id) and its dossier
marked; the dossier's facts are folded again by :func:`fold_pending`, once for all the events
that arrived meanwhile (a dossier has a dozen events, often in one batch), by the background
job and before every report. The inbox (EventDispatch) already drops a redelivery; the
event's id in the build keeps a replay idempotent too."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from prometheus_client import Counter, Gauge

from services.reporting.deps import ReportingDeps
from services.reporting.repository import builds, facts
from shared.contracts.events import Envelope, Event
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)

FOLDED = Counter("reporting_dossiers_folded_total", "Dossier facts folded again from their events")
LAST_EVENT = Gauge("reporting_last_event_occurred_timestamp_seconds",
                   "When the newest event recorded happened: now minus this is reporting's lag")

_newest = [0.0]
FOLD_BATCH = 500
FOLD_IDLE_S = 0.5


async def on_event(event: Event | None, envelope: Envelope, uow: UnitOfWork) -> None:
    schema = await builds.current(uow.conn, share_lock=True)
    await facts.record(uow.conn, schema, envelope)
    _newest[0] = max(_newest[0], envelope.occurred_at.timestamp())
    LAST_EVENT.set(_newest[0])  # an old event arriving late does not move it back


async def fold_pending(pool: asyncpg.Pool, batch: int = FOLD_BATCH) -> int:
    """Fold every marked dossier of the current build; how many were folded."""
    total = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            schema = await builds.current(conn, share_lock=True)
            done = await facts.fold_dirty(conn, schema, batch)
        total += done
        FOLDED.inc(done)
        if done < batch:
            return total


async def fold_continuously(deps: ReportingDeps) -> None:
    """The background job: fold what the consumer marked, then look again when idle."""
    while True:
        try:
            if not await fold_pending(deps.pool):
                await asyncio.sleep(FOLD_IDLE_S)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database went away: try again, never die
            log.warning("folding failed, retrying", error=repr(error))
            await asyncio.sleep(FOLD_IDLE_S * 4)
