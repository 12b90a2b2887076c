"""The department's side of a dossier as a small state machine, without I/O.

Each method changes the case and returns the events it caused; the use case writes the
new state and the events in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from shared.events import (
    DossierAccepted,
    DossierDecided,
    DossierProcessingStarted,
    DossierResultReturned,
    DossierSubmitted,
    Event,
)
from shared.status import DossierStatus as S

ReturnMethod = Literal["online", "postal"]

# Officer actions and the statuses they are allowed in.
OFFICER_ACTIONS: dict[str, frozenset[S]] = {
    "approve": frozenset({S.IN_PROGRESS}),
    "refuse": frozenset({S.IN_PROGRESS}),
}


class ActionNotAllowed(Exception):
    def __init__(self, action: str, status: S) -> None:
        super().__init__(f"action {action!r} is not allowed while the dossier is {status.value}")
        self.action = action
        self.status = status
        self.allowed = allowed_actions(status)


def allowed_actions(status: S) -> list[str]:
    return sorted(a for a, statuses in OFFICER_ACTIONS.items() if status in statuses)


@dataclass
class Case:
    id: uuid.UUID
    code: str
    procedure_code: str
    department_code: str
    applicant_name: str
    fee: Decimal
    return_method: ReturnMethod
    received_at: datetime
    due_date: date
    status: S = S.REGISTERED
    fee_paid: bool = False
    outcome: Literal["approved", "refused"] | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)

    @classmethod
    def accept(cls, dossier_id: uuid.UUID, submitted: DossierSubmitted) -> Case:
        """Receipt (tiếp nhận): automatic for procedures whose catalog entry allows it."""
        case = cls(
            id=dossier_id,
            code=submitted.dossier_code,
            procedure_code=submitted.procedure_code,
            department_code=submitted.department_code,
            applicant_name=submitted.applicant.full_name,
            fee=submitted.fee,
            return_method=submitted.return_method,
            received_at=submitted.received_at,
            due_date=submitted.due_date,
        )
        case.status = S.AWAITING_FEE if case.fee > 0 else S.ACCEPTED
        case.events.append(
            DossierAccepted(
                dossier_code=case.code,
                department_code=case.department_code,
                fee=case.fee,
                due_date=case.due_date,
                return_method=case.return_method,
                status=case.status,
            )
        )
        if case.fee == 0:
            case._start()
        return case

    def record_payment(self) -> None:
        if self.fee_paid:
            return
        self.fee_paid = True
        if self.status is S.AWAITING_FEE:
            self._start()

    def _start(self) -> None:
        self.status = S.IN_PROGRESS
        self.events.append(DossierProcessingStarted(dossier_code=self.code))

    def act(self, action: str, *, actor: str, reason: str | None = None) -> None:
        if self.status not in OFFICER_ACTIONS.get(action, frozenset()):
            raise ActionNotAllowed(action, self.status)
        self.outcome = "approved" if action == "approve" else "refused"
        self.status = S.DECIDED
        self.events.append(
            DossierDecided(
                dossier_code=self.code,
                outcome=self.outcome,
                reason=reason,
                decided_by=actor,
                return_method=self.return_method,
            )
        )
        if self.return_method == "online":
            self._return_result()

    def record_delivery(self) -> None:
        """The carrier delivered the result of a postal-return dossier."""
        if self.status is S.DECIDED and self.return_method == "postal":
            self._return_result()

    def _return_result(self) -> None:
        assert self.outcome is not None
        self.status = S.RESULT_RETURNED
        self.events.append(
            DossierResultReturned(dossier_code=self.code, method=self.return_method,
                                  outcome=self.outcome)
        )

    def snapshot(self) -> Case:
        return replace(self, events=[])
