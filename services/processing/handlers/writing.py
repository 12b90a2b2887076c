"""Writing what a transition did: the case, its audit entries, its events (its own, and what
its department's topic is told) and an approval's result document, in one statement."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.processing.deps import Deps
from services.processing.domain.case import Case
from services.processing.domain.errors import ConcurrentChange
from services.processing.domain.result_file import ResultFile
from services.processing.domain.work_items import work_items, work_sla
from services.processing.repository import transitions
from shared.runtime.outbox import Outbox


async def write_transition(conn: asyncpg.Connection, outbox: Outbox, deps: Deps,
                           case: Case, before: Case | None, at: datetime, *,
                           announce: bool = False, document: ResultFile | None = None) -> bool:
    """Insert (``before`` None) or update the case, with its audit entries, the events it
    caused (emitted into ``outbox``, which names the producer and the cause, then taken from
    it into the statement) and ``document``; ``announce`` tells the department even when
    only the SLA state moved.

    Returns False, having written nothing, when the case already existed (a redelivered
    submission); raises ConcurrentChange, having written nothing, when somebody else updated
    it since it was read. A transition that changed and recorded nothing (an event told
    again) writes nothing, so the version officers see stays current."""
    if before is not None and not (case.events or case.audit) and case.snapshot() == before:
        return True
    sla = work_sla(case, *deps.sla_dates(at))
    for event in [*case.events, *work_items(case, before, sla, announce=announce)]:
        outbox.emit(event, dossier_id=case.id)
    rows = outbox.take_rows()
    if before is None:
        if not await transitions.insert(conn, case, rows):
            return False
    elif not await transitions.update(conn, case, rows, document=document):
        raise ConcurrentChange(f"dossier {case.code} was changed by someone else; reload it")
    case.written()
    return True
