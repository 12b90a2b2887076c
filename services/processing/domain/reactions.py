"""What happens to a case without an officer, without I/O: the citizen's supplement and
withdrawal, the fee paid or finally failed, the carrier's delivery, and the deadlines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from services.processing.domain.clock import business_date, recounted, resumed_due
from services.processing.domain.rules import CLOCK_RUNNING, OPEN
from services.processing.domain.state import CaseState
from services.processing.domain.trail import SYSTEM
from shared.contracts.events import (
    DossierAtRisk,
    DossierDeadlineRecomputed,
    DossierOverdue,
    DossierProcessingResumed,
    DossierWithdrawn,
    FeePaymentDue,
    WithdrawalRefused,
)
from shared.contracts.status import WITHDRAWABLE_STATUSES
from shared.contracts.status import DossierStatus as S
from shared.reference.workdays import WorkingCalendar, describe_changes

_SHIPMENT_TROUBLE = {"delivery_fail": "shipment_delivery_failed",
                     "returned": "shipment_returned", "lost": "shipment_incident",
                     "damage": "shipment_incident"}


class Reactions(CaseState):
    def record_payment(self, at: datetime, calendar: WorkingCalendar) -> None:
        self.fee_paid, self.fee_failed_at, self.fee_failure_reason = True, None, None
        self.fee_overdue = False
        if self.status is S.AWAITING_FEE:
            self._resume(at, calendar, S.ACCEPTED, "fee_paid")

    def record_payment_failure(self, at: datetime, reason: str, detail: dict[str, Any]
                               ) -> None:
        """The fee could not be collected: the case keeps waiting for it with its clock
        paused, and carries the failure until the fee is paid or the dossier ends."""
        if (self.fee_failed_at, self.fee_failure_reason) == (at, reason):
            return  # the same failure, told again
        if self.status is not S.AWAITING_FEE or self.fee_paid:  # paid or ended meanwhile
            self.note("fee_failure_ignored", SYSTEM, self.status, reason=reason,
                      detail={**detail, "fee_paid": self.fee_paid})
            return
        self.fee_failed_at, self.fee_failure_reason = at, reason
        self.note("fee_failed", SYSTEM, self.status, reason=reason, detail=detail)

    def record_payment_unsettled(self, reason: str, detail: dict[str, Any]) -> None:
        """Payment could not learn how an attempt to pay ended: the trail says so, for the
        office; nothing else moves until reconciliation settles it."""
        self.note("fee_unsettled", SYSTEM, self.status, reason=reason, detail=detail)

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
        if self.status not in WITHDRAWABLE_STATUSES:
            why = f"Hồ sơ đang ở trạng thái “{self.status.label_vi}”, không thể rút."
            self.emit(WithdrawalRefused(dossier_code=self.code, reason=why))
            self.note("withdrawal_refused", SYSTEM, self.status, reason=reason)
            return
        before, self.status, self.paused_at, self.proposal = self.status, S.WITHDRAWN, None, None
        self.emit(DossierWithdrawn(dossier_code=self.code, reason=reason))
        self.note("withdraw", SYSTEM, before, reason=reason)

    def record_delivery(self, received_by: str | None = None) -> None:
        """The carrier delivered the result of a postal-return dossier."""
        if self.status is S.DECIDED and self.return_method == "postal":
            self.return_result(received_by)

    def record_shipment(self, status: str, detail: dict[str, Any],
                        received_by: str | None) -> None:
        """The parcel of the result moved: ``delivered`` returns the result (with who signed
        for it); a failed delivery, a return to the office, a loss or damage go on the trail
        for the office (postal ships a lost or damaged result again; the citizen chooses
        redelivery or collection through the portal)."""
        if status == "delivered":
            self.record_delivery(received_by)
        elif status in _SHIPMENT_TROUBLE:
            self.note(_SHIPMENT_TROUBLE[status], SYSTEM, self.status, detail=detail)

    def flag_deadline(self, today: date, near: date, calendar: WorkingCalendar) -> bool:
        """Flag the case at risk or overdue if it is and was not yet for this date."""
        due = self.due_date
        if self.status not in CLOCK_RUNNING:
            return False
        if due < today and self.overdue_flagged_for != due:
            # Past due: "at risk" would be news of yesterday, so it is settled with it.
            self.overdue_flagged_for = self.at_risk_flagged_for = due
            self.emit(DossierOverdue(dossier_code=self.code,
                                     department_code=self.department_code, due_date=due))
            self.note("flag_overdue", SYSTEM, self.status, detail={"due_date": due.isoformat()})
            return True
        if today <= due <= near and self.at_risk_flagged_for != due:
            self.at_risk_flagged_for = due
            left = calendar.working_days_between(today, due)
            self.emit(DossierAtRisk(dossier_code=self.code, department_code=self.department_code,
                                    due_date=due, working_days_left=left))
            self.note("flag_at_risk", SYSTEM, self.status,
                      detail={"due_date": due.isoformat(), "working_days_left": left})
            return True
        return False

    def flag_fee_deadline(self, today: date, remind_by: date) -> bool:
        """Remind the citizen once when the fee's deadline is near; flag the case once it
        passed unpaid (the office may then stop it)."""
        due = self.fee_due_date
        if self.status is not S.AWAITING_FEE or self.fee_paid or due is None:
            return False
        if due < today and not self.fee_overdue:
            self.fee_overdue, self.fee_reminded_for = True, due  # too late to remind
            self.note("flag_fee_overdue", SYSTEM, self.status,
                      detail={"fee_due_date": due.isoformat()})
            return True
        if today <= due <= remind_by and self.fee_reminded_for != due:
            self.fee_reminded_for = due
            self.emit(FeePaymentDue(dossier_code=self.code, department_code=self.department_code,
                                    amount=self.fee, fee_due_date=due))
            self.note("remind_fee", SYSTEM, self.status, detail={"fee_due_date": due.isoformat()})
            return True
        return False

    def follow_calendar(self, previous: WorkingCalendar, calendar: WorkingCalendar) -> bool:
        """Count an open case's dates again under a new calendar (``previous`` is the one
        they were computed under): the committed, statutory and fee dates keep their number
        of working days and are never earlier than promised. A later date is told with the
        announcements that moved it; the case then records the new calendar's version.
        Returns whether a date moved."""
        if self.status not in OPEN or self.calendar_version == calendar.version:
            return False
        start = self.received_at or self.submitted_at
        cutoff = self.terms.cutoff
        before_start, now_start = (previous.counted_from(start, cutoff),
                                   calendar.counted_from(start, cutoff))
        due = recounted(previous, calendar, self.due_date, before_start, now_start)
        statutory = (None if self.statutory_due_date is None else recounted(
            previous, calendar, self.statutory_due_date, before_start, now_start))
        fee_due = self.fee_due_date
        if fee_due is not None and self.status is S.AWAITING_FEE and self.paused_at:
            waits = business_date(self.paused_at)
            fee_due = recounted(previous, calendar, fee_due, waits, waits)
        self.calendar_version = calendar.version
        if (due, statutory, fee_due) == (self.due_date, self.statutory_due_date,
                                         self.fee_due_date):
            return False
        reason = describe_changes(previous, calendar, before_start, max(
            due, statutory or due, fee_due or due))
        previous_due, previous_statutory = self.due_date, self.statutory_due_date
        self.due_date, self.statutory_due_date, self.fee_due_date = due, statutory, fee_due
        if (due, statutory) != (previous_due, previous_statutory):
            self.emit(DossierDeadlineRecomputed(
                dossier_code=self.code, department_code=self.department_code,
                previous_due_date=previous_due, new_due_date=due, statutory_due_date=statutory,
                calendar_version=calendar.version, reason=reason[:500]))
        self.note("calendar_recomputed", SYSTEM, self.status, reason=reason[:500], detail={
            "calendar_version": calendar.version, "previous_due_date": previous_due.isoformat(),
            "due_date": due.isoformat(),
            "statutory_due_date": statutory.isoformat() if statutory else None,
            "fee_due_date": fee_due.isoformat() if fee_due else None})
        return True
