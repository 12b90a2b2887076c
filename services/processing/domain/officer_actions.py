"""What officers do to a case, without I/O: each transition checks the rules table and the
action's content before changing anything, so a refused action leaves the case unchanged.

``reason`` texts are shown to the citizen in the dossier's public timeline.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from services.processing.domain.clock import LONGEST_WAIT, business_date, later
from services.processing.domain.errors import (
    ActionNotAllowed,
    DateOutOfBounds,
    InvalidAction,
    StaleVersion,
)
from services.processing.domain.rules import Action, Role, is_allowed
from services.processing.domain.state import CaseState, Outcome
from services.processing.domain.trail import Actor
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

DAY = timedelta(days=1)


class OfficerActions(CaseState):
    def check_version(self, seen: int | None, actor: Actor) -> None:
        """An officer who names the version they saw acts on that version or not at all."""
        if seen is not None and seen != self.version:
            raise StaleVersion(self.code, self.situation, self._role(actor), self.version, seen)

    def check(self, action: Action, actor: Actor) -> Role:
        role = self._role(actor)
        if not is_allowed(action, self.situation, role):
            raise ActionNotAllowed(action, self.situation, role)
        return role

    @staticmethod
    def _role(actor: Actor) -> Role:
        if actor.role is None:
            raise ValueError("officer actions need an officer")
        return actor.role

    def accept(self, actor: Actor, at: datetime, calendar: WorkingCalendar) -> None:
        self.check(Action.ACCEPT, actor)
        self.receive(actor, at, calendar)

    def refuse_at_intake(self, actor: Actor, reason: str) -> None:
        role = self.check(Action.REFUSE_AT_INTAKE, actor)
        before, self.status = self.status, S.REFUSED_AT_INTAKE
        self.emit(DossierRefusedAtIntake(dossier_code=self.code, reason=reason, actor_role=role))
        self.note(Action.REFUSE_AT_INTAKE, actor, before, reason=reason)

    def start(self, actor: Actor) -> None:
        role = self.check(Action.START, actor)
        before, self.status = self.status, S.IN_PROGRESS
        self.emit(DossierProcessingStarted(dossier_code=self.code, actor_role=role))
        self.note(Action.START, actor, before)

    def request_supplement(self, actor: Actor, at: datetime, calendar: WorkingCalendar, *,
                           missing: list[str], reason: str, deadline: date | None) -> None:
        role = self.check(Action.REQUEST_SUPPLEMENT, actor)
        today = business_date(at)
        if deadline is not None:
            DateOutOfBounds.check("deadline", deadline, later(today, DAY),
                                  later(today, LONGEST_WAIT),
                                  "after today and at most a year after it")
        deadline = deadline or calendar.add_working_days(today, self.terms.supplement_deadline_days)
        before, self.status, self.paused_at = self.status, S.AWAITING_SUPPLEMENT, at
        self.supplement_deadline = deadline
        self.emit(SupplementRequested(dossier_code=self.code, missing=tuple(missing),
                                      reason=reason, deadline=deadline, actor_role=role))
        self.note(Action.REQUEST_SUPPLEMENT, actor, before, reason=reason,
                  detail={"missing": missing, "deadline": deadline.isoformat()})

    def propose(self, actor: Actor, outcome: Outcome, reason: str | None) -> None:
        role = self.check(Action.PROPOSE, actor)
        self.proposal = outcome
        self.emit(DossierDecisionProposed(dossier_code=self.code, proposed_outcome=outcome,
                                          actor_role=role))
        self.note(Action.PROPOSE, actor, self.status, reason=reason,
                  detail={"proposed_outcome": outcome})

    def decide(self, actor: Actor, at: datetime, *, approve: bool, reason: str | None,
               document: DocumentRef | None) -> None:
        action = Action.APPROVE if approve else Action.REFUSE
        role = self.check(action, actor)
        if approve and document is None:
            raise InvalidAction("an approval carries the result document")
        before, proposed = self.status, self.proposal
        self.status, self.outcome = S.DECIDED, "approved" if approve else "refused"
        self.proposal, self.decided_at = None, at
        self.sla_result = classify(at, self.due_date).value
        self.emit(DossierDecided(
            dossier_code=self.code, outcome=self.outcome, reason=reason, decided_by=role,
            return_method=self.return_method, result_document=document,
            sla_result=self.sla_result))
        self.note(action, actor, before, reason=reason,
                  detail={"proposed_outcome": proposed, "sla_result": self.sla_result,
                          "result_document": document.sha256 if document else None})
        if self.return_method == "online":
            self.return_result()

    def stop(self, actor: Actor, reason: str) -> None:
        role = self.check(Action.STOP, actor)
        before, self.status, self.paused_at, self.proposal = self.status, S.STOPPED, None, None
        self.emit(DossierProcessingStopped(dossier_code=self.code, reason=reason,
                                           actor_role=role))
        self.note(Action.STOP, actor, before, reason=reason)

    def transfer(self, actor: Actor, *, to_department: str, departments: set[str],
                 reason: str | None) -> None:
        role = self.check(Action.TRANSFER, actor)
        if to_department not in departments:
            raise InvalidAction(f"unknown department {to_department!r}; the agency has "
                                f"{', '.join(sorted(departments))}")
        if to_department == self.department_code:
            raise InvalidAction(f"the dossier is already in department {to_department!r}")
        before, source = self.status, self.department_code
        # The new department starts the work itself; the deadline keeps running.
        self.status = S.ACCEPTED if before is S.IN_PROGRESS else before
        self.department_code, self.proposal = to_department, None
        self.emit(DossierTransferred(
            dossier_code=self.code, from_department_code=source,
            to_department_code=to_department, reason=reason, actor_role=role,
            status=self.status))
        self.note(Action.TRANSFER, actor, before, reason=reason,
                  detail={"from": source, "to": to_department})

    def issue_apology(self, actor: Actor, at: datetime, calendar: WorkingCalendar, *,
                      reason: str, new_due_date: date) -> None:
        """Form 04: a new committed date; the original stays beside it for the statistics."""
        role = self.check(Action.ISSUE_APOLOGY, actor)
        today = business_date(at)
        DateOutOfBounds.check(
            "new_due_date", new_due_date, max(later(self.due_date, DAY), today),
            later(self.statutory_due_date or self.due_date, LONGEST_WAIT),
            "after the committed date, not before today and at most a year after the "
            "statutory due date")
        if not calendar.is_working_day(new_due_date):
            raise InvalidAction(f"new_due_date {new_due_date} is not a working day")
        previous, self.due_date = self.due_date, new_due_date
        self.emit(DossierApologyIssued(
            dossier_code=self.code, procedure_name=self.procedure_name,
            department_code=self.department_code, reason=reason, previous_due_date=previous,
            new_due_date=new_due_date, original_due_date=self.original_due_date or previous,
            issued_on=today, actor_role=role))
        self.note(Action.ISSUE_APOLOGY, actor, self.status, reason=reason,
                  detail={"previous_due_date": previous.isoformat(),
                          "new_due_date": new_due_date.isoformat()})
