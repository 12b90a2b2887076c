"""Intake's HTTP and Kafka schemas: what portals send, and what intake answers.

Requests: unknown fields are ignored, never fatal; every error names its field. The portal is
never taken from the body: it is the one whose credential signed the request. Every string is
a ``shared.contracts.types`` text (bounded, no control or bidi characters). Identity numbers
and phones take ASCII digits only: ``\\d`` matches any Unicode digit (fullwidth ``０``,
Arabic-Indic ``٠``…), and they are refused rather than normalised, because the number is
matched as printed on the citizen's card against the national population database; a portal
that sends other digits has a bug worth seeing.
Answers: receipts to portals, the portal's view of a dossier, public tracking.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from shared.contracts.types import Line, NotificationChannel, ReturnMethod, Text, bounded_text

_ID_NUMBER = re.compile(r"^[0-9]{12}$")
_VN_PHONE = re.compile(r"^(0|\+84)(3|5|7|8|9)[0-9]{8}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _id_number(value: str) -> str:
    if not _ID_NUMBER.match(value):
        raise ValueError("must be the 12-digit citizen identity number (số định danh cá nhân)")
    return value


def _phone(value: str) -> str:
    compact = value.replace(" ", "").replace(".", "")
    if not _VN_PHONE.match(compact):
        raise ValueError("must be a Vietnamese mobile number, like 0912345678 or +84912345678")
    return compact


def _sha256(value: str) -> str:
    if not _SHA256.match(value.lower()):
        raise ValueError("must be a SHA-256 digest: 64 hexadecimal digits")
    return value.lower()


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


Name = bounded_text(200, min_length=1)
Code = bounded_text(64, min_length=1)
"""An identifier the catalog chose: a procedure, a channel, a document kind."""
SubmissionId = bounded_text(128, min_length=1)
Filename = bounded_text(255, min_length=1)
MediaType = bounded_text(100, min_length=3)
AddressLine = bounded_text(300, min_length=1)
UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,12}$")]
"""An administrative unit's code (the GSO's, or the carrier's ward code): letters and digits."""
_ADDRESS_FIELDS = ("recipient_name", "phone", "street", "ward", "province")


class ApplicantIn(_Input):
    full_name: Name
    id_number: Annotated[Line, AfterValidator(_id_number)]
    phone: Annotated[Line, AfterValidator(_phone)]
    email: EmailStr
    channels: Annotated[tuple[NotificationChannel, ...], Field(min_length=1, max_length=2)] \
        | None = None
    """How the applicant wants to be told: ``email``, ``sms`` or both; absent, both."""


class PostalAddressIn(_Input):
    """Where a result goes by post. ``district`` is optional: districts are gone since
    1/7/2025 (two-level local government), the ward belongs to the province directly."""

    recipient_name: Name
    phone: Annotated[Line, AfterValidator(_phone)]
    street: AddressLine = Field(description="House number and street, hamlet (ấp), village")
    ward: AddressLine = Field(description="Ward, commune or town (phường, xã, thị trấn)")
    district: AddressLine | None = None
    province: AddressLine = Field(description="Province or centrally-run city")
    ward_code: UnitCode | None = None
    district_code: UnitCode | None = None
    province_code: UnitCode | None = None

    @model_validator(mode="before")
    @classmethod
    def _structured(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError("a one-line address is not accepted: give "
                             + ", ".join(_ADDRESS_FIELDS)
                             + " (district and the *_code fields optional)")
        return value


class SubmittedByIn(_Input):
    """Who pressed "submit": the citizen, or a helper (e.g. a youth-union volunteer)."""

    kind: Literal["citizen", "helper"] = "citizen"
    name: Name | None = None
    organisation: Name | None = None

    @model_validator(mode="after")
    def _helper_named(self) -> Self:
        if self.kind == "helper" and not self.name:
            raise ValueError("a helper's submission needs the helper's name")
        return self


class DocumentIn(_Input):
    """A document, inline as base64 (JSON) or as a named part of a multipart upload.

    ``sha256``, when declared, must match the content, or the submission is refused.
    """

    kind: Code
    filename: Filename | None = None
    content_type: MediaType | None = None
    content_base64: str | None = None
    part: Code | None = Field(None, description="multipart only: the name of the file part")
    sha256: Annotated[str, AfterValidator(_sha256)] | None = None


class SubmitDossier(_Input):
    """Command: a portal submits a citizen's dossier."""

    portal_submission_id: SubmissionId
    procedure_code: Code
    channel: Code = Field("online", description="online, counter or postal")
    applicant: ApplicantIn
    submitted_by: SubmittedByIn = SubmittedByIn()
    return_method: ReturnMethod
    postal_address: PostalAddressIn | None = None
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)


class ProvideSupplement(_Input):
    """Command: the documents a supplement request asked for."""

    documents: list[DocumentIn] = Field(min_length=1, max_length=50)
    note: Text | None = None


class RequestRedelivery(_Input):
    """The citizen's answer to a parcel of the result that could not be delivered or came
    back to the office: deliver it again, or collect the result at the office."""

    choice: Literal["redeliver", "collect_at_office"]


class RequestWithdrawal(_Input):
    reason: Text | None = None


# --- What intake answers ---------------------------------------------------------------------


class DossierReceipt(BaseModel):
    dossier_code: str
    status: str
    received_at: datetime
    due_date: date = Field(description="Committed due date (provisional until acceptance)")
    statutory_due_date: date | None = None
    catalog_version: str | None = None


class PortalReceipt(BaseModel):
    """The outcome of a Kafka submission, on ``portal.<portal_id>.receipts``."""

    portal_submission_id: str
    outcome: Literal["accepted", "refused"]
    replay: bool = Field(False, description="The same submission was registered before")
    receipt: DossierReceipt | None = None
    reasons: list[str] = Field(default_factory=list)


class TimelineEntry(BaseModel):
    occurred_at: datetime
    event_type: str
    status: str | None
    description: str
    producer: str
    detail: dict[str, Any] = Field(default_factory=dict)


class DossierView(BaseModel):
    """The submitting portal's view: everything but the applicant's personal data."""

    dossier_id: uuid.UUID
    dossier_code: str
    procedure_code: str
    department_code: str
    catalog_version: str
    channel: str
    status: str
    status_label: str
    received_at: datetime
    due_date: date
    statutory_due_date: date | None
    return_method: str
    submitted_by: dict[str, Any]
    pay_url: str | None = None
    """The fee's payment link while the fee is unpaid (no secret in it)."""
    timeline: list[TimelineEntry]
    audit_head: str | None = Field(
        None, description="SHA-256 at the head of the dossier's tamper-evident audit chain "
        "(docs/security.md): keep it to tell a rewritten history from the real one later.")


class PublicTimelineEntry(BaseModel):
    occurred_at: datetime
    description: str
    status: str | None
    status_label: str | None
    detail: dict[str, Any] = Field(default_factory=dict)


class TrackingView(BaseModel):
    """What anyone holding a dossier code may see: nothing personal."""

    dossier_code: str
    procedure_code: str
    procedure_name: str | None
    status: str
    status_label: str
    received_at: datetime
    due_date: date
    pay_url: str | None = None
    """The fee's payment link while the fee is unpaid (no secret in it)."""
    timeline: list[PublicTimelineEntry]
    audit_head: str | None = Field(
        None, description="SHA-256 at the head of the dossier's tamper-evident audit chain: "
        "whoever notes it can later tell a rewritten history from the real one.")


class WithdrawalAnswer(BaseModel):
    dossier_code: str
    status: str
    withdrawal_requested_at: datetime
    replay: bool = False


class RedeliveryAnswer(BaseModel):
    dossier_code: str
    choice: str
    requested_at: datetime


class SupplementAnswer(BaseModel):
    dossier_code: str
    status: str
    provided_at: datetime
    documents: list[dict[str, Any]]
    replay: bool = False
