"""A dossier as the department works on it, without I/O.

Each transition checks first and changes second, so a refused action leaves the case as it
was; it then records the events it caused and an audit entry. The use case writes the new
state, the events and the audit entries in one transaction. Officer actions live in
:mod:`services.processing.officer_work`; this module holds the state and what happens to a
dossier by itself (receipt, payment, supplement, withdrawal, delivery, deadlines).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from services.processing.clock import Terms, resumed_due
from services.processing.trail import SYSTEM, Actor, AuditEntry
from services.processing.workflow import WITHDRAWABLE, Situation
from shared.contracts.events import (
    DossierAccepted,
    DossierProcessingResumed,
    DossierResultReturned,
    DossierSubmitted,
    DossierWithdrawn,
    Event,
    WithdrawalRefused,
)
from shared.contracts.status import DossierStatus as S
from shared.reference.workdays import WorkingCalendar

Outcome = Literal["approved", "refused"]


@dataclass
class Case:
    id: uuid.UUID
    code: str
    procedure_code: str
    procedure_name: str
    department_code: str
    applicant_name: str
    fee: Decimal
    return_method: Literal["online", "postal"]
    catalog_version: str
    terms: Terms
    submitted_at: datetime
    due_date: date  # the committed date in force; provisional until receipt
    received_at: datetime | None = None  # receipt (tiếp nhận): the clock starts here
    original_due_date: date | None = None  # the first committed date, for statistics
    statutory_due_date: date | None = None
    status: S = S.REGISTERED
    paused_at: datetime | None = None
    fee_paid: bool = False
    proposal: Outcome | None = None
    outcome: Outcome | None = None
    supplement_deadline: date | None = None
    decided_at: datetime | None = None
    sla_result: Literal["early", "on_time", "late"] | None = None
    at_risk_flagged_for: date | None = None
    overdue_flagged_for: date | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    @classmethod
    def register(cls, dossier_id: uuid.UUID, submitted: DossierSubmitted, terms: Terms,
                 calendar: WorkingCalendar) -> Case:
        """A submitted dossier reaches its department; received at once where allowed."""
        case = cls(
            id=dossier_id, code=submitted.dossier_code, procedure_code=submitted.procedure_code,
            procedure_name=submitted.procedure_name, department_code=submitted.department_code,
            applicant_name=submitted.applicant.full_name, fee=submitted.fee,
            return_method=submitted.return_method, catalog_version=submitted.catalog_version,
            terms=terms, submitted_at=submitted.received_at, due_date=submitted.due_date,
        )
        case.note("register", SYSTEM, None)
        if terms.auto_accept:  # intake computed this very due date for the citizen's receipt
            case.receive(SYSTEM, submitted.received_at, calendar, due=submitted.due_date)
        return case

    @property
    def situation(self) -> Situation:
        return Situation(self.status, self.proposal is not None, self.terms.separate_approval)

    def receive(self, actor: Actor, at: datetime, calendar: WorkingCalendar,
                due: date | None = None) -> None:
        """Receipt: the committed and statutory dates count from here; a fee pauses the clock."""
        before = self.status
        self.received_at = at
        self.due_date = due or calendar.due_date(at, self.terms.committed_days, self.terms.cutoff)
        self.original_due_date = self.due_date
        self.statutory_due_date = calendar.due_date(at, self.terms.statutory_days,
                                                    self.terms.cutoff)
        self.status = S.AWAITING_FEE if self.fee > 0 else S.ACCEPTED
        self.paused_at = at if self.fee > 0 else None
        self.emit(DossierAccepted(
            dossier_code=self.code, department_code=self.department_code, fee=self.fee,
            due_date=self.due_date, return_method=self.return_method, status=self.status,
            statutory_due_date=self.statutory_due_date, actor_role=_role(actor)))
        self.note("accept", actor, before)

    def record_payment(self, at: datetime, calendar: WorkingCalendar) -> None:
        self.fee_paid = True
        if self.status is S.AWAITING_FEE:
            self._resume(at, calendar, S.ACCEPTED, "fee_paid")

    def record_supplement(self, at: datetime, calendar: WorkingCalendar) -> None:
        if self.status is S.AWAITING_SUPPLEMENT:
            self._resume(at, calendar, S.IN_PROGRESS, "supplement_provided")
        else:  # late or repeated: kept in the trail, changes nothing
            self.note("supplement_ignored", SYSTEM, self.status,
                      reason=f"not awaiting a supplement (status {self.status.value})")

    def _resume(self, at: datetime, calendar: WorkingCalendar, to: S, because: Any) -> None:
        assert self.paused_at is not None and self.received_at is not None
        policy = "resume" if because == "fee_paid" else self.terms.supplement_policy
        before, common = self.status, {"policy": policy, "received_at": self.received_at,
                                       "paused_at": self.paused_at, "resumed_at": at}
        self.due_date = resumed_due(calendar, self.terms, due=self.due_date,
                                    days=self.terms.committed_days, **common)
        if self.statutory_due_date is not None:
            self.statutory_due_date = resumed_due(
                calendar, self.terms, due=self.statutory_due_date,
                days=self.terms.statutory_days, **common)
        self.status, self.paused_at = to, None
        self.emit(DossierProcessingResumed(dossier_code=self.code, status=to,
                                            due_date=self.due_date, resumed_because=because))
        self.note(because, SYSTEM, before, detail={"due_date": self.due_date.isoformat()})

    def withdraw(self, reason: str | None) -> None:
        if self.status not in WITHDRAWABLE:
            why = f"Hồ sơ đang ở trạng thái “{self.status.label_vi}”, không thể rút."
            self.emit(WithdrawalRefused(dossier_code=self.code, reason=why))
            self.note("withdrawal_refused", SYSTEM, self.status, reason=reason)
            return
        before, self.status, self.paused_at = self.status, S.WITHDRAWN, None
        self.emit(DossierWithdrawn(dossier_code=self.code, reason=reason))
        self.note("withdraw", SYSTEM, before, reason=reason)

    def record_delivery(self) -> None:
        """The carrier delivered the result of a postal-return dossier."""
        if self.status is S.DECIDED and self.return_method == "postal":
            self.return_result()

    def return_result(self) -> None:
        assert self.outcome is not None
        before, self.status = self.status, S.RESULT_RETURNED
        self.emit(DossierResultReturned(
            dossier_code=self.code, method=self.return_method, outcome=self.outcome,
            finished_on_time=None if self.sla_result is None else self.sla_result != "late",
            sla_result=self.sla_result, committed_due_date=self.due_date,
            original_due_date=self.original_due_date,
            statutory_due_date=self.statutory_due_date))
        self.note("return_result", SYSTEM, before)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def note(self, action: str, actor: Actor, before: S | None, *, reason: str | None = None,
             detail: dict[str, Any] | None = None) -> None:
        self.audit.append(AuditEntry(action, actor, before, self.status, reason, detail or {}))

    def snapshot(self) -> Case:
        """The state alone, for comparisons (events and audit entries left out)."""
        return replace(self, events=[], audit=[])


def _role(actor: Actor) -> str:
    return actor.role.value if actor.role else SYSTEM.name
