"""What a case holds, without I/O: its state, the events and audit entries its transitions
recorded, and the two transitions that officers and outside events both lead to (receipt and
the return of the result). :class:`~services.processing.domain.case.Case` is built on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from services.processing.domain.clock import Terms, business_date
from services.processing.domain.rules import Situation
from services.processing.domain.trail import SYSTEM, Actor, AuditEntry
from shared.contracts.events import DossierAccepted, DossierResultReturned, Event
from shared.contracts.status import DossierStatus as S
from shared.contracts.types import Outcome, ReturnMethod, SlaResult
from shared.reference.workdays import WorkingCalendar


@dataclass
class CaseState:
    id: uuid.UUID
    code: str
    procedure_code: str
    procedure_name: str
    department_code: str
    applicant_name: str
    fee: Decimal
    return_method: ReturnMethod
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
    fee_failed_at: datetime | None = None  # the fee could not be collected, and is not paid
    fee_failure_reason: str | None = None
    proposal: Outcome | None = None
    outcome: Outcome | None = None
    supplement_deadline: date | None = None
    decided_at: datetime | None = None
    sla_result: SlaResult | None = None
    at_risk_flagged_for: date | None = None
    overdue_flagged_for: date | None = None
    fee_due_date: date | None = None  # the last working day to pay the fee
    fee_reminded_for: date | None = None
    fee_overdue: bool = False  # the fee's deadline passed unpaid: "quá hạn thanh toán"
    calendar_version: str = ""  # the working-day calendar its dates were computed under
    version: int = 0
    events: list[Event] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)

    @property
    def situation(self) -> Situation:
        return Situation(self.status, self.proposal is not None, self.terms.separate_approval)

    def receive(self, actor: Actor, at: datetime, calendar: WorkingCalendar,
                due: date | None = None) -> None:
        """Receipt: the committed and statutory dates count from here; a fee pauses the clock."""
        before = self.status
        self.received_at, self.calendar_version = at, calendar.version
        self.due_date = due or calendar.due_date(at, self.terms.committed_days, self.terms.cutoff)
        self.original_due_date = self.due_date
        self.statutory_due_date = calendar.due_date(at, self.terms.statutory_days,
                                                    self.terms.cutoff)
        self.status = S.AWAITING_FEE if self.fee > 0 else S.ACCEPTED
        self.paused_at = at if self.fee > 0 else None
        if self.fee > 0:
            self.fee_due_date = calendar.add_working_days(business_date(at),
                                                          self.terms.fee_payment_days)
        self.emit(DossierAccepted(
            dossier_code=self.code, department_code=self.department_code, fee=self.fee,
            due_date=self.due_date, return_method=self.return_method, status=self.status,
            statutory_due_date=self.statutory_due_date,
            actor_role=actor.role.value if actor.role else SYSTEM.name))
        self.note("accept", actor, before)

    def return_result(self, received_by: str | None = None) -> None:
        assert self.outcome is not None
        before, self.status = self.status, S.RESULT_RETURNED
        self.emit(DossierResultReturned(
            dossier_code=self.code, method=self.return_method, outcome=self.outcome,
            finished_on_time=None if self.sla_result is None else self.sla_result != "late",
            sla_result=self.sla_result, committed_due_date=self.due_date,
            original_due_date=self.original_due_date,
            statutory_due_date=self.statutory_due_date, received_by=received_by))
        self.note("return_result", SYSTEM, before)

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def note(self, action: str, actor: Actor, before: S | None, *, reason: str | None = None,
             detail: dict[str, Any] | None = None) -> None:
        self.audit.append(AuditEntry(action, actor, before, self.status, reason, detail or {}))

    def snapshot(self) -> Self:
        """The state alone, for comparisons (events and audit entries left out)."""
        return replace(self, events=[], audit=[])

    def written(self) -> None:
        """The state is written with its events and audit entries: it is the next version,
        and what comes next is recorded afresh."""
        self.version += 1
        self.events, self.audit = [], []
