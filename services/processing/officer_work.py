"""What officers do to a dossier, without I/O: each checks the workflow table and the
action's content before changing anything, so a refused action leaves the case unchanged.

``reason`` texts are shown to the citizen in the dossier's public timeline.
"""

from __future__ import annotations

from datetime import date, datetime

from services.processing.clock import business_date
from services.processing.domain import Case, Outcome
from services.processing.trail import Actor
from services.processing.workflow import (
    Action,
    ActionNotAllowed,
    InvalidAction,
    Role,
    is_allowed,
)
from shared.contracts.events import (
    DocumentRef,
    DossierApologyIssued,
    DossierDecided,
    DossierDecisionProposed,
    DossierProcessingStarted,
    DossierProcessingStopped,
    DossierRefusedAtIntake,
    DossierTransferred,
    SupplementRequested,
)
from shared.contracts.status import DossierStatus as S
from shared.reference.workdays import WorkingCalendar, classify


def check(case: Case, action: Action, actor: Actor) -> Role:
    if actor.role is None:
        raise ValueError("officer actions need an officer")
    if not is_allowed(action, case.situation, actor.role):
        raise ActionNotAllowed(action, case.situation, actor.role)
    return actor.role


def accept(case: Case, actor: Actor, at: datetime, calendar: WorkingCalendar) -> None:
    check(case, Action.ACCEPT, actor)
    case.receive(actor, at, calendar)


def refuse_at_intake(case: Case, actor: Actor, reason: str) -> None:
    role = check(case, Action.REFUSE_AT_INTAKE, actor)
    before, case.status = case.status, S.REFUSED_AT_INTAKE
    case.emit(DossierRefusedAtIntake(dossier_code=case.code, reason=reason, actor_role=role))
    case.note(Action.REFUSE_AT_INTAKE, actor, before, reason=reason)


def start(case: Case, actor: Actor) -> None:
    role = check(case, Action.START, actor)
    before, case.status = case.status, S.IN_PROGRESS
    case.emit(DossierProcessingStarted(dossier_code=case.code, actor_role=role))
    case.note(Action.START, actor, before)


def request_supplement(case: Case, actor: Actor, at: datetime, calendar: WorkingCalendar, *,
                       missing: list[str], reason: str, deadline: date | None) -> None:
    role = check(case, Action.REQUEST_SUPPLEMENT, actor)
    today = business_date(at)
    if deadline is not None and deadline <= today:
        raise InvalidAction(f"deadline {deadline} must be after today ({today})")
    deadline = deadline or calendar.add_working_days(today, case.terms.supplement_deadline_days)
    before, case.status, case.paused_at = case.status, S.AWAITING_SUPPLEMENT, at
    case.supplement_deadline = deadline
    case.emit(SupplementRequested(dossier_code=case.code, missing=tuple(missing), reason=reason,
                                  deadline=deadline, actor_role=role))
    case.note(Action.REQUEST_SUPPLEMENT, actor, before, reason=reason,
              detail={"missing": missing, "deadline": deadline.isoformat()})


def propose(case: Case, actor: Actor, outcome: Outcome, reason: str | None) -> None:
    role = check(case, Action.PROPOSE, actor)
    case.proposal = outcome
    case.emit(DossierDecisionProposed(dossier_code=case.code, proposed_outcome=outcome,
                                      actor_role=role))
    case.note(Action.PROPOSE, actor, case.status, reason=reason,
              detail={"proposed_outcome": outcome})


def decide(case: Case, actor: Actor, at: datetime, *, approve: bool, reason: str | None,
           document: DocumentRef | None) -> None:
    action = Action.APPROVE if approve else Action.REFUSE
    role = check(case, action, actor)
    if approve and document is None:
        raise InvalidAction("an approval carries the result document")
    before, proposed = case.status, case.proposal
    case.status, case.outcome, case.proposal = S.DECIDED, "approved" if approve else "refused", None
    case.decided_at = at
    case.sla_result = classify(at, case.due_date).value
    case.emit(DossierDecided(
        dossier_code=case.code, outcome=case.outcome, reason=reason, decided_by=role,
        return_method=case.return_method, result_document=document, sla_result=case.sla_result))
    case.note(action, actor, before, reason=reason,
              detail={"proposed_outcome": proposed, "sla_result": case.sla_result,
                      "result_document": document.sha256 if document else None})
    if case.return_method == "online":
        case.return_result()


def stop(case: Case, actor: Actor, reason: str) -> None:
    role = check(case, Action.STOP, actor)
    before, case.status, case.paused_at, case.proposal = case.status, S.STOPPED, None, None
    case.emit(DossierProcessingStopped(dossier_code=case.code, reason=reason, actor_role=role))
    case.note(Action.STOP, actor, before, reason=reason)


def transfer(case: Case, actor: Actor, *, to_department: str, departments: set[str],
             reason: str | None) -> None:
    role = check(case, Action.TRANSFER, actor)
    if to_department not in departments:
        raise InvalidAction(f"unknown department {to_department!r}; the agency has "
                            f"{', '.join(sorted(departments))}")
    if to_department == case.department_code:
        raise InvalidAction(f"the dossier is already in department {to_department!r}")
    before, source = case.status, case.department_code
    # The new department starts the work itself; the deadline keeps running.
    case.status = S.ACCEPTED if before is S.IN_PROGRESS else before
    case.department_code, case.proposal = to_department, None
    case.emit(DossierTransferred(
        dossier_code=case.code, from_department_code=source, to_department_code=to_department,
        reason=reason, actor_role=role, status=case.status))
    case.note(Action.TRANSFER, actor, before, reason=reason,
              detail={"from": source, "to": to_department})


def issue_apology(case: Case, actor: Actor, at: datetime, calendar: WorkingCalendar, *,
                  reason: str, new_due_date: date) -> None:
    """Form 04: a new committed date; the original stays beside it for the statistics."""
    role = check(case, Action.ISSUE_APOLOGY, actor)
    today = business_date(at)
    if new_due_date <= case.due_date or new_due_date < today:
        raise InvalidAction(f"new_due_date {new_due_date} must be after the committed date "
                            f"{case.due_date} and not before today ({today})")
    if not calendar.is_working_day(new_due_date):
        raise InvalidAction(f"new_due_date {new_due_date} is not a working day")
    previous, case.due_date = case.due_date, new_due_date
    case.emit(DossierApologyIssued(
        dossier_code=case.code, procedure_name=case.procedure_name,
        department_code=case.department_code, reason=reason, previous_due_date=previous,
        new_due_date=new_due_date, original_due_date=case.original_due_date or previous,
        issued_on=today, actor_role=role))
    case.note(Action.ISSUE_APOLOGY, actor, case.status, reason=reason,
              detail={"previous_due_date": previous.isoformat(),
                      "new_due_date": new_due_date.isoformat()})
