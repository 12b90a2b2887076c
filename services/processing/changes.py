"""Writing what a transition did: the case, its audit entries, and its events.

Lifecycle events go to ``dossier.events``; the department's own topic gets the work item,
its changes, and its departure when the dossier moves to another department, so a
department's system can follow its queue from its topic alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from services.processing import repository
from services.processing.clock import SlaState, sla_state
from services.processing.deps import Deps
from services.processing.domain import Case
from shared.contracts.events import (
    Envelope,
    Event,
    WorkItemQueued,
    WorkItemStatusChanged,
    WorkItemTransferred,
)
from shared.contracts.topics import DOSSIER_EVENTS, department_work


class ConcurrentChange(Exception):
    """Another writer changed the dossier between read and write."""


def work_sla(case: Case, deps: Deps, at: datetime) -> SlaState:
    today, near = deps.sla_dates(at)
    state = sla_state(case.status, case.due_date, today, near)
    if state is None:  # decided or closed: how it finished
        return "overdue" if case.sla_result == "late" else "on_track"
    return state


def _queued(case: Case, sla: SlaState) -> WorkItemQueued:
    return WorkItemQueued(
        dossier_code=case.code, department_code=case.department_code,
        procedure_code=case.procedure_code, applicant_name=case.applicant_name,
        received_at=case.received_at or case.submitted_at, due_date=case.due_date,
        status=case.status, sla_state=sla)


def _work_items(case: Case, before: Case | None, sla: SlaState, announce: bool
                ) -> list[tuple[str, Event]]:
    if before is None:
        return [(department_work(case.department_code), _queued(case, sla))]
    if before.department_code != case.department_code:
        return [(department_work(before.department_code), WorkItemTransferred(
                    dossier_code=case.code, department_code=before.department_code,
                    to_department_code=case.department_code)),
                (department_work(case.department_code), _queued(case, sla))]
    if announce or (before.status, before.due_date, before.proposal) != (
            case.status, case.due_date, case.proposal):
        return [(department_work(case.department_code), WorkItemStatusChanged(
            dossier_code=case.code, department_code=case.department_code, status=case.status,
            sla_state=sla, due_date=case.due_date, awaiting_approval=case.proposal is not None))]
    return []


async def save(conn: asyncpg.Connection, deps: Deps, case: Case, before: Case | None,
               at: datetime, *, caused_by: Envelope | None = None, announce: bool = False,
               document: dict[str, Any] | None = None) -> bool:
    """Insert (``before`` None) or update the case with its audit entries, the events it
    caused (into the outbox) and ``document`` (an approval's result document), in one
    statement; ``announce`` tells the department even when only the SLA state moved.

    Returns False, having written nothing, when the case already existed (a redelivered
    submission); raises ConcurrentChange, having written nothing, when somebody else updated
    it since it was read."""
    outbox = [(DOSSIER_EVENTS, _wrap(event, case, caused_by)) for event in case.events]
    outbox += [(topic, _wrap(event, case, caused_by))
               for topic, event in _work_items(case, before, work_sla(case, deps, at), announce)]
    if before is None:
        if not await repository.insert(conn, case, outbox):
            return False
    elif not await repository.update(conn, case, outbox, document=document):
        raise ConcurrentChange(f"dossier {case.code} was changed by someone else; reload it")
    case.events.clear()
    case.audit.clear()
    return True


def _wrap(event: Event, case: Case, caused_by: Envelope | None) -> Envelope:
    return Envelope.wrap(event, dossier_id=case.id, producer="processing",
                         dossier_code=case.code, caused_by=caused_by)
