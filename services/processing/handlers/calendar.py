"""Open dossiers follow a late calendar announcement.

At start-up (and by ``python -m services.processing.recompute``) processing records the
calendar in force (its days, under its version) and counts the dates of every open dossier
computed under another version again: the same working days under the new calendar, never
earlier than promised (services.processing.domain.clock.recounted). A later date is a
``DossierDeadlineRecomputed`` naming the announcement, which intake's timeline shows and the
notification service tells the citizen; the dossier then records the new version. Batches
lock their rows with ``FOR UPDATE SKIP LOCKED``, so replicas starting together share them.
"""

from __future__ import annotations

import structlog

from services.processing.deps import Deps
from services.processing.domain.rules import OPEN
from services.processing.handlers.writing import write_transition
from services.processing.repository import cases
from shared.reference.workdays import WorkingCalendar

log = structlog.get_logger(__name__)


async def record_calendar(deps: Deps) -> None:
    async with deps.pool.acquire() as conn:
        await cases.record_calendar(conn, deps.calendar.version, deps.calendar.snapshot())


async def recompute_deadlines(deps: Deps, batch_size: int = 100) -> int:
    """Bring every open dossier to the calendar in force; returns how many dates moved."""
    await record_calendar(deps)
    version, moved, seen = deps.calendar.version, 0, 0
    previous: dict[str, WorkingCalendar] = {}
    while True:
        at = deps.now()
        async with deps.transactions() as uow:
            batch = await cases.lock_other_calendar(uow.conn, [s.value for s in OPEN], version,
                                                    batch_size)
            if not batch:
                break
            for case in batch:
                if case.calendar_version not in previous:
                    days = await cases.calendar_days(uow.conn, case.calendar_version)
                    if days is None:  # never recorded: nothing to count again from
                        log.warning("calendar version unknown; dates kept as they are",
                                    calendar_version=case.calendar_version)
                    previous[case.calendar_version] = (
                        deps.calendar if days is None else WorkingCalendar.from_snapshot(days))
                before = case.snapshot()
                moved += case.follow_calendar(previous[case.calendar_version], deps.calendar)
                await write_transition(uow.conn, uow, deps, case, before, at)
            seen += len(batch)
            await uow.commit()
    if seen:
        log.info("open dossiers recounted under the calendar in force", calendar_version=version,
                 dossiers=seen, dates_moved=moved)
    return moved
