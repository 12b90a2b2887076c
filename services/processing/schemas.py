"""Processing's HTTP models: what officers send and what they are answered.

An officer's action is one model per action, told apart by ``action``, each with exactly the
fields it needs, so a missing reason or date is a 422 that names the field. ``reason`` is
shown to the citizen in the dossier's timeline.

Every string an officer sends is bounded and printable (``Printable``): PostgreSQL refuses NUL
in text (a 500 before), and control characters have no place in a reason or a file name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.processing.domain.case import Case
from services.processing.domain.clock import SlaState, sla_state
from services.processing.domain.result_file import MAX_BYTES
from services.processing.domain.rules import Role, allowed_actions
from shared.contracts.status import DossierStatus
from shared.contracts.types import Outcome, bounded_text

# The system's bounded, printable strings (shared/contracts/types.py), as processing uses them.
OfficerText = bounded_text(2000, min_length=1, multiline=True, strip=True)
SearchText = bounded_text(100)
FileName = bounded_text(255, min_length=1)
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,11}$")]


# --- Signing in ---------------------------------------------------------------------------


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: bounded_text(100, min_length=1)  # type: ignore[valid-type]
    password: str = Field(min_length=1, max_length=1000)


class TokenGranted(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int
    username: str
    department_code: str
    role: str


# --- An officer's action ------------------------------------------------------------------


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int | None = Field(
        None, ge=0, le=2**31 - 1, description="The version the officer saw; a different "
        "current version is a 409 (somebody acted meanwhile).")


class AcceptDossier(_Command):
    action: Literal["accept"]


class RefuseAtIntake(_Command):
    action: Literal["refuse_at_intake"]
    reason: OfficerText


class StartProcessing(_Command):
    action: Literal["start"]


class RequestSupplement(_Command):
    action: Literal["request_supplement"]
    missing: list[OfficerText] = Field(min_length=1, max_length=50,
                                description="What the citizen must add, one item per entry.")
    reason: OfficerText
    deadline: date | None = Field(None, description="Defaults to the procedure's supplement "
                                                    "deadline in working days from today.")


class ProposeDecision(_Command):
    action: Literal["propose"]
    proposed_outcome: Outcome
    reason: OfficerText | None = None


class ResultDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    filename: FileName
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    content_base64: str = Field(min_length=1, max_length=4 * (MAX_BYTES // 3 + 1))


class ApproveDossier(_Command):
    action: Literal["approve"]
    result_document: ResultDocument
    reason: OfficerText | None = None


class RefuseDossier(_Command):
    action: Literal["refuse"]
    reason: OfficerText


class StopProcessing(_Command):
    action: Literal["stop"]
    reason: OfficerText


class TransferDossier(_Command):
    action: Literal["transfer"]
    to_department: DepartmentCode
    reason: OfficerText | None = None


class IssueApology(_Command):
    action: Literal["issue_apology"]
    reason: OfficerText
    new_due_date: date


OfficerCommand = Annotated[
    AcceptDossier | RefuseAtIntake | StartProcessing | RequestSupplement | ProposeDecision
    | ApproveDossier | RefuseDossier | StopProcessing | TransferDossier | IssueApology,
    Field(discriminator="action"),
]


# --- What officers read -------------------------------------------------------------------


class QueueItem(BaseModel):
    dossier_code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    status: str
    status_label: str
    sla_state: SlaState | None
    awaiting_approval: bool
    fee_failed_at: datetime | None = Field(
        description="When collecting the fee failed for good (the dossier still awaits it); "
                    "null once it is paid.")
    fee_overdue: bool = Field(False, description="The fee's deadline passed unpaid "
                                                 "(quá hạn thanh toán); the office may stop it.")
    received_at: datetime | None
    due_date: date
    version: int

    @classmethod
    def from_row(cls, row: Any) -> QueueItem:
        """An item from a row of the queue's query."""
        return cls(
            dossier_code=row["code"], procedure_code=row["procedure_code"],
            procedure_name=row["procedure_name"], applicant_name=row["applicant_name"],
            status=row["status"], status_label=DossierStatus(row["status"]).label_vi,
            sla_state=row["sla_state"], awaiting_approval=row["proposal"] is not None,
            fee_failed_at=row["fee_failed_at"], fee_overdue=row["fee_overdue"],
            received_at=row["received_at"],
            due_date=row["due_date"], version=row["version"])


class CaseView(QueueItem):
    """A dossier as its department reads it: its queue item, and the rest."""

    dossier_id: str
    department_code: str
    proposed_outcome: str | None
    outcome: str | None
    original_due_date: date | None
    statutory_due_date: date | None
    supplement_deadline: date | None
    fee: int
    fee_paid: bool
    fee_failure_reason: str | None
    fee_due_date: date | None = None
    sla_result: str | None
    allowed_actions: list[str]

    @classmethod
    def of(cls, case: Case, role: Role, today: date, near: date) -> CaseView:
        return cls(
            dossier_id=str(case.id), dossier_code=case.code,
            department_code=case.department_code, procedure_code=case.procedure_code,
            procedure_name=case.procedure_name, applicant_name=case.applicant_name,
            status=case.status.value, status_label=case.status.label_vi,
            sla_state=sla_state(case.status, case.due_date, today, near),
            awaiting_approval=case.proposal is not None, proposed_outcome=case.proposal,
            outcome=case.outcome, received_at=case.received_at, due_date=case.due_date,
            original_due_date=case.original_due_date,
            statutory_due_date=case.statutory_due_date,
            supplement_deadline=case.supplement_deadline, fee=int(case.fee),
            fee_paid=case.fee_paid, fee_failed_at=case.fee_failed_at,
            fee_overdue=case.fee_overdue, fee_due_date=case.fee_due_date,
            fee_failure_reason=case.fee_failure_reason, sla_result=case.sla_result,
            version=case.version, allowed_actions=allowed_actions(case.situation, role))


class AuditView(BaseModel):
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    detail: dict[str, Any]
    seq: int | None = Field(default=None, description="The entry's place in the dossier's "
                                                      "audit chain")
    entry_hash: str | None = Field(default=None, description="The entry's hash in the chain "
                                   "(the head is the last one's; verify recomputes them)")


class QueuePage(BaseModel):
    department_code: str
    items: list[QueueItem]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]
