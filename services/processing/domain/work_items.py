"""What a department's topic (``department.<code>.work``) is told of a transition, without
I/O: the work item when it arrives, its changes, and its departure when the dossier moves to
another department, so a department's system can follow its queue from its topic alone."""

from __future__ import annotations

from datetime import date

from services.processing.domain.clock import SlaState, sla_state
from services.processing.domain.state import CaseState
from shared.contracts.events import (
    Event,
    WorkItemQueued,
    WorkItemStatusChanged,
    WorkItemTransferred,
)


def work_sla(case: CaseState, today: date, near: date) -> SlaState:
    """The item's SLA state; once decided or closed, how it finished."""
    state = sla_state(case.status, case.due_date, today, near)
    if state is None:
        return "overdue" if case.sla_result == "late" else "on_track"
    return state


def _queued(case: CaseState, sla: SlaState) -> WorkItemQueued:
    return WorkItemQueued(
        dossier_code=case.code, department_code=case.department_code,
        procedure_code=case.procedure_code, applicant_name=case.applicant_name,
        received_at=case.received_at or case.submitted_at, due_date=case.due_date,
        status=case.status, sla_state=sla)


def _seen_by_the_queue(case: CaseState) -> tuple[object, ...]:
    """The facts whose change is news to the department (the SLA state aside)."""
    return case.status, case.due_date, case.proposal, case.fee_failed_at, case.fee_overdue


def work_items(case: CaseState, before: CaseState | None, sla: SlaState, *,
               announce: bool = False) -> list[Event]:
    """The work-item events of the transition from ``before`` (None: a new case) to
    ``case``; ``announce`` tells the department even when only the SLA state moved."""
    if before is None:
        return [_queued(case, sla)]
    if before.department_code != case.department_code:
        return [WorkItemTransferred(dossier_code=case.code,
                                    department_code=before.department_code,
                                    to_department_code=case.department_code),
                _queued(case, sla)]
    if announce or _seen_by_the_queue(before) != _seen_by_the_queue(case):
        return [WorkItemStatusChanged(
            dossier_code=case.code, department_code=case.department_code, status=case.status,
            sla_state=sla, due_date=case.due_date, awaiting_approval=case.proposal is not None,
            fee_overdue=case.fee_overdue)]
    return []
