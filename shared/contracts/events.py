"""Event contracts: one envelope for all, frozen payload models named in the past tense.

Consumers ignore fields and event types they do not know, so producers may add both within
a schema version. ``Envelope.event()`` returns ``None`` for an unknown type.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.status import DossierStatus
from shared.contracts.types import (
    EndCause,
    MessageStatus,
    NotificationChannel,
    Outcome,
    Rating,
    ReturnMethod,
    ShipmentStatus,
    SlaResult,
    SlaState,
)

E = TypeVar("E", bound="Event")

EVENT_TYPES: dict[str, type[Event]] = {}


class Event(BaseModel):
    """Base of every payload. Subclasses register themselves by class name."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    schema_version: ClassVar[int] = 1
    description_vi: ClassVar[str] = ""
    """How the citizen's timeline names this moment (Vietnamese, with diacritics)."""
    topic: ClassVar[str] = "dossier.events"
    """Where the event is published; ``{department_code}`` stands for the department."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENT_TYPES[cls.__name__] = cls

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    def topic_name(self) -> str:
        """The topic this event is published on: ``topic`` with its fields filled in."""
        return self.topic.format_map(self.__dict__) if "{" in self.topic else self.topic


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime
    dossier_id: uuid.UUID
    dossier_code: str | None = None
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    producer: str
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        dossier_id: uuid.UUID,
        producer: str,
        dossier_code: str | None = None,
        caused_by: Envelope | None = None,
        occurred_at: datetime | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        """Wrap ``event``; when it was caused by another event, keep its correlation."""
        event_id = event_id or uuid.uuid4()
        if caused_by is not None:
            correlation_id = caused_by.correlation_id
            causation_id = caused_by.event_id
        return cls(
            event_id=event_id,
            event_type=event.type_name(),
            schema_version=event.schema_version,
            occurred_at=occurred_at or datetime.now(UTC),
            dossier_id=dossier_id,
            dossier_code=dossier_code or (caused_by.dossier_code if caused_by else None),
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            producer=producer,
            payload=event.model_dump(mode="json"),
        )

    def event(self) -> Event | None:
        """The typed payload, or ``None`` when this consumer does not know the type."""
        model = EVENT_TYPES.get(self.event_type)
        return None if model is None else model.model_validate(self.payload)


# --- Dossier lifecycle (topic dossier.events) -------------------------------------------------


class Applicant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    full_name: str
    id_number: str
    phone: str
    email: str
    channels: tuple[NotificationChannel, ...] | None = Field(
        default=None, description="How the applicant wants to be told (email, sms or both); "
                                  "None: every channel the applicant gave an address for.")


class DocumentRef(BaseModel):
    """A document stored outside Kafka; events carry its reference only."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str


class SubmittedBy(BaseModel):
    """Who submitted: the citizen, or a helper (name, organisation) on the citizen's behalf."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    kind: Literal["citizen", "helper"] = "citizen"
    name: str | None = None
    organisation: str | None = None


class PostalAddress(BaseModel):
    """Where and to whom a result goes by post (checked at submission by intake). Districts
    are gone since 1/7/2025, so ``district`` is optional; the codes are the administrative
    units' codes where the portal knows them (the carrier's ward code, say)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    recipient_name: str
    phone: str
    street: str
    ward: str
    district: str | None = None
    province: str
    ward_code: str | None = None
    district_code: str | None = None
    province_code: str | None = None

    def one_line(self) -> str:
        """The address as a label prints it (no name, no phone)."""
        return ", ".join(p for p in (self.street, self.ward, self.district, self.province) if p)


AUDIT_HEAD = (
    "The head of the producer's audit chain for this dossier as the transition that emitted "
    "the event left it: the SHA-256 (hex) of the last audit entry written with the event, in "
    "the same statement (processing's case audit, issue 16). Whoever keeps it can later tell a "
    "rewritten chain from the real one (verify). None from producers older than issue 16.")


class DossierSubmitted(Event):
    """A portal's submission was validated and registered by intake."""

    description_vi: ClassVar[str] = "Hồ sơ đã được nộp trực tuyến"
    dossier_code: str
    portal: str
    portal_submission_id: str
    agency_code: str
    procedure_code: str
    procedure_name: str
    department_code: str
    catalog_version: str
    applicant: Applicant
    return_method: ReturnMethod
    postal_address: PostalAddress | str | None = None
    """Structured since issue 12; a one-line string in events older than that."""
    documents: tuple[DocumentRef, ...] = ()
    fee: Decimal = Decimal(0)
    committed_days: int
    received_at: AwareDatetime
    due_date: date
    status: DossierStatus = DossierStatus.REGISTERED
    submitted_by: SubmittedBy | None = None  # None from producers older than issue 4
    channel: str = "online"
    statutory_days: int | None = None
    statutory_due_date: date | None = None


class DossierAccepted(Event):
    """Processing accepted the dossier (tiếp nhận) and routed it to its department."""

    description_vi: ClassVar[str] = "Hồ sơ đã được tiếp nhận"
    dossier_code: str
    department_code: str
    fee: Decimal
    due_date: date
    return_method: ReturnMethod
    status: DossierStatus
    statutory_due_date: date | None = None
    actor_role: str | None = None
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierProcessingStarted(Event):
    """Nothing blocks the department any more (fee paid, or none due)."""

    description_vi: ClassVar[str] = "Hồ sơ đang được xử lý"
    dossier_code: str
    status: DossierStatus = DossierStatus.IN_PROGRESS
    actor_role: str | None = None
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierDecided(Event):
    description_vi: ClassVar[str] = "Hồ sơ đã được giải quyết"
    dossier_code: str
    outcome: Outcome
    reason: str | None = None
    decided_by: str
    return_method: ReturnMethod
    status: DossierStatus = DossierStatus.DECIDED
    result_document: DocumentRef | None = None
    sla_result: SlaResult | None = None
    """Decision date against the committed due date in force (after any apology letter)."""
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierResultReturned(Event):
    description_vi: ClassVar[str] = "Đã trả kết quả"
    dossier_code: str
    method: ReturnMethod
    outcome: Outcome
    status: DossierStatus = DossierStatus.RESULT_RETURNED
    finished_on_time: bool | None = None
    sla_result: SlaResult | None = None
    """The decision (the department's finish) against ``committed_due_date``; postal transit
    after the decision is not the department's time."""
    committed_due_date: date | None = None
    original_due_date: date | None = None
    """The first committed date, kept for statistics when an apology letter moved it."""
    statutory_due_date: date | None = None
    received_by: str | None = Field(default=None, max_length=200)
    """Postal return: who signed for the parcel, as the carrier reported it."""
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class SupplementRequested(Event):
    """Processing asks the citizen for missing documents; the clock pauses (status 5)."""

    description_vi: ClassVar[str] = "Yêu cầu bổ sung hồ sơ"
    dossier_code: str
    missing: tuple[str, ...]
    reason: str
    deadline: date
    status: DossierStatus = DossierStatus.AWAITING_SUPPLEMENT
    actor_role: str | None = None
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class SupplementProvided(Event):
    """Intake received the supplement from the portal (documents stored, references here)."""

    description_vi: ClassVar[str] = "Công dân đã bổ sung hồ sơ"
    dossier_code: str
    documents: tuple[DocumentRef, ...]
    provided_at: AwareDatetime
    note: str | None = None  # the citizen's words to the officer, if any


class WithdrawalRequested(Event):
    """The citizen asked through a portal to withdraw a dossier not yet decided."""

    description_vi: ClassVar[str] = "Công dân đề nghị rút hồ sơ"
    dossier_code: str
    reason: str | None = None
    requested_at: AwareDatetime


class DossierWithdrawn(Event):
    description_vi: ClassVar[str] = "Công dân đã rút hồ sơ"
    dossier_code: str
    reason: str | None = None
    status: DossierStatus = DossierStatus.WITHDRAWN
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierRefusedAtIntake(Event):
    """The intake officer did not accept the dossier (status 3); ``reason`` is public."""

    description_vi: ClassVar[str] = "Hồ sơ không được tiếp nhận"
    dossier_code: str
    reason: str
    actor_role: str
    status: DossierStatus = DossierStatus.REFUSED_AT_INTAKE
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierProcessingResumed(Event):
    """The clock runs again after a pause (fee paid, supplement provided); new due date."""

    description_vi: ClassVar[str] = "Hồ sơ tiếp tục được giải quyết"
    dossier_code: str
    status: DossierStatus
    due_date: date
    resumed_because: Literal["fee_paid", "supplement_provided"]
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierDecisionProposed(Event):
    """A specialist proposed the outcome; the approver decides. The status does not change."""

    description_vi: ClassVar[str] = "Chuyên viên đã trình lãnh đạo kết quả giải quyết"
    dossier_code: str
    proposed_outcome: Outcome
    actor_role: str
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierProcessingStopped(Event):
    """The office stopped processing (status 8), e.g. a supplement never came."""

    description_vi: ClassVar[str] = "Hồ sơ bị dừng xử lý"
    dossier_code: str
    reason: str
    actor_role: str
    status: DossierStatus = DossierStatus.STOPPED
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierTransferred(Event):
    """The dossier moved to another department of the agency; the deadline is unchanged."""

    description_vi: ClassVar[str] = "Hồ sơ được chuyển sang phòng chuyên môn khác"
    dossier_code: str
    from_department_code: str
    to_department_code: str
    reason: str | None = None
    actor_role: str
    status: DossierStatus
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierApologyIssued(Event):
    """Apology letter with a new date (phiếu xin lỗi và hẹn lại ngày trả kết quả, form 04).

    ``new_due_date`` becomes the committed date; ``original_due_date`` stays for statistics.
    Carries what the letter needs; the citizen's contact details are the notifier's own.
    """

    description_vi: ClassVar[str] = "Cơ quan xin lỗi và hẹn lại ngày trả kết quả"
    dossier_code: str
    procedure_name: str
    department_code: str
    reason: str
    previous_due_date: date
    new_due_date: date
    original_due_date: date
    issued_on: date
    actor_role: str
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierAtRisk(Event):
    """The committed date is near and the dossier is not decided (emitted once per date)."""

    description_vi: ClassVar[str] = "Hồ sơ sắp đến hạn trả kết quả"
    dossier_code: str
    department_code: str
    due_date: date
    working_days_left: int
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class FeePaymentDue(Event):
    """The last working day to pay the fee is near and it is unpaid (once per deadline)."""

    description_vi: ClassVar[str] = "Sắp hết hạn thanh toán phí, lệ phí"
    dossier_code: str
    department_code: str
    amount: Decimal
    fee_due_date: date
    pay_url: str | None = None
    """Payment's start page for the fee, when the producer knows it."""
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierOverdue(Event):
    """The committed date passed and the dossier is not decided (emitted once per date)."""

    description_vi: ClassVar[str] = "Hồ sơ đã quá hạn trả kết quả"
    dossier_code: str
    department_code: str
    due_date: date
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class WithdrawalRefused(Event):
    """A withdrawal came too late (the dossier is decided or closed); nothing changed."""

    description_vi: ClassVar[str] = "Không thể rút hồ sơ"
    dossier_code: str
    reason: str
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class DossierRated(Event):
    """The citizen rated the service once, after the result was returned (QĐ 766, group 5)."""

    description_vi: ClassVar[str] = "Công dân đã đánh giá mức độ hài lòng"
    dossier_code: str
    rating: Rating
    comment: str | None = Field(default=None, max_length=1000)
    rated_at: AwareDatetime


class DossierDeadlineRecomputed(Event):
    """A calendar announcement moved the dossier's dates; never earlier than promised."""

    description_vi: ClassVar[str] = "Ngày hẹn trả kết quả được điều chỉnh theo lịch làm việc"
    dossier_code: str
    department_code: str
    previous_due_date: date
    new_due_date: date
    statutory_due_date: date | None = None
    calendar_version: str
    reason: str = Field(max_length=500)
    """The announcement: document number, date and issuer."""
    audit_head: str | None = Field(default=None, description=AUDIT_HEAD)


class RedeliveryRequested(Event):
    """The citizen's answer to a parcel that could not be delivered or came back to the
    office: deliver it again (a new shipment once it is back), or collect it at the office."""

    description_vi: ClassVar[str] = "Công dân chọn cách nhận lại kết quả gửi qua bưu chính"
    dossier_code: str
    choice: Literal["redeliver", "collect_at_office"]
    requested_at: AwareDatetime


# --- Department work queues (topic department.<code>.work) ------------------------------------


class WorkItemQueued(Event):
    """A dossier for the department's queue, carrying only what its system needs to pick up
    the work: the dossier code (to open the dossier in processing, where every other detail
    is read under an officer's sign-in), the procedure, when it was received and is due, its
    status and SLA state (to sort the queue), and the applicant's name (the one personal
    detail, so that an officer recognises a case a citizen calls or comes in about). Never
    the identity number, phone, email, address or documents: a department system copies this
    topic into its own storage, out of this system's control, so what it does not need it
    must not receive."""

    topic: ClassVar[str] = "department.{department_code}.work"
    description_vi: ClassVar[str] = "Hồ sơ được chuyển đến phòng chuyên môn"
    dossier_code: str
    department_code: str
    procedure_code: str
    applicant_name: str
    received_at: AwareDatetime
    due_date: date
    status: DossierStatus
    sla_state: SlaState = "on_track"


class WorkItemStatusChanged(Event):
    topic: ClassVar[str] = "department.{department_code}.work"
    description_vi: ClassVar[str] = "Phòng chuyên môn cập nhật trạng thái hồ sơ"
    dossier_code: str
    department_code: str
    status: DossierStatus
    sla_state: SlaState = "on_track"
    due_date: date | None = None
    awaiting_approval: bool | None = None
    fee_overdue: bool | None = None
    """The fee's deadline passed unpaid ("quá hạn thanh toán"); None from older producers."""


class WorkItemTransferred(Event):
    """On the old department's topic: the item left this queue for another department."""

    topic: ClassVar[str] = "department.{department_code}.work"
    description_vi: ClassVar[str] = "Hồ sơ được chuyển sang phòng chuyên môn khác"
    dossier_code: str
    department_code: str
    to_department_code: str


# --- Payment (topic payment.events) -----------------------------------------------------------


class PaymentRequested(Event):
    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Yêu cầu thanh toán phí, lệ phí"
    dossier_code: str
    payment_id: uuid.UUID
    amount: Decimal = Field(gt=0)
    currency: Literal["VND"] = "VND"
    pay_url: str | None = None
    """The citizen's link to payment's own start page (no secret in it); each visit starts a
    fresh attempt at the gateway. None from producers older than issue 11."""


class PaymentCompleted(Event):
    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Đã thanh toán phí, lệ phí trực tuyến"
    dossier_code: str
    payment_id: uuid.UUID
    amount: Decimal
    gateway_transaction_id: str


class PaymentCancelled(Event):
    """The dossier ended before its fee was charged: the fee will never be charged."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Đã hủy yêu cầu thanh toán phí, lệ phí"
    dossier_code: str
    payment_id: uuid.UUID
    amount: Decimal
    cause: EndCause


class PaymentRefunded(Event):
    """The gateway confirmed that a paid fee went back to the citizen."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Đã hoàn trả phí, lệ phí cho công dân"
    dossier_code: str
    payment_id: uuid.UUID
    refund_id: uuid.UUID
    amount: Decimal
    gateway_refund_id: str
    cause: EndCause


class PaymentFailed(Event):
    """The fee could not be collected: the gateway refused it for good, or every attempt was
    used up. The dossier stays paused (awaiting its fee) until an officer or the citizen acts."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Thanh toán phí, lệ phí không thành công"
    dossier_code: str
    payment_id: uuid.UUID
    amount: Decimal
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=1)


class ExtraPaymentRefunded(Event):
    """Money the gateway took for a fee that was already paid (a second attempt paid too)
    went back to the citizen; the fee itself stays paid."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Đã hoàn trả khoản thanh toán trùng cho công dân"
    dossier_code: str
    payment_id: uuid.UUID
    refund_id: uuid.UUID
    amount: Decimal
    gateway_refund_id: str


class PaymentUnsettled(Event):
    """The gateway never told how one attempt to pay ended (no IPN, and querydr kept saying
    pending or failed): the daily reconciliation, or the staff, must settle it."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Chưa xác định được kết quả một lần thanh toán"
    dossier_code: str
    payment_id: uuid.UUID
    txn_ref: str
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=0)



class PaymentReconciliationMismatch(Event):
    """The daily reconciliation found one transaction on which our ledger and the gateway's
    settlement file disagree: ``missing_here`` (the gateway settled money we never recorded),
    ``missing_at_gateway`` (we recorded a payment the file lacks) or ``amount_mismatch``.
    For the payment's staff (docs/payment.md, the runbook)."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Đối soát thanh toán phát hiện chênh lệch"
    dossier_code: str | None = None  # None when no order of ours has this TxnRef
    settlement_date: date
    kind: Literal["missing_here", "missing_at_gateway", "amount_mismatch"]
    txn_ref: str = Field(max_length=100)
    transaction_no: str | None = Field(None, max_length=100)
    our_amount: Decimal | None = None
    gateway_amount: Decimal | None = None
    transaction: Literal["payment", "refund"] = "payment"
    """A refund's ``txn_ref`` is the refunded order's; payments only from older producers."""


class PaymentReconciliationFailed(Event):
    """The scheduled daily reconciliation of one day gave up (the settlement file could not
    be fetched or read): the payment's staff runs it by hand (docs/payment.md, the runbook)."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Đối soát thanh toán hằng ngày không thực hiện được"
    settlement_date: date
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=0)

class ReceiptCancelled(Event):
    """A receipt (biên lai) issued in error was cancelled by the payment staff, e.g. when the
    gateway never took the money (reconciliation's ``missing_at_gateway``). Its number stays
    used; the fee is not collected and the department is told."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Biên lai thu phí, lệ phí đã bị hủy"
    dossier_code: str
    receipt_number: str = Field(max_length=40)
    amount: Decimal
    reason: str = Field(max_length=500)
    cancelled_by: str = Field(max_length=200)
    cancelled_at: AwareDatetime


class RefundFailed(Event):
    """A refund could not be made: the payment's staff must refund by hand."""

    topic: ClassVar[str] = "payment.events"
    description_vi: ClassVar[str] = "Hoàn trả phí, lệ phí không thành công"
    dossier_code: str
    payment_id: uuid.UUID
    refund_id: uuid.UUID
    amount: Decimal
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=1)


# --- Postal return (topic postal.events) ------------------------------------------------------


class ShipmentCreated(Event):
    topic: ClassVar[str] = "postal.events"
    description_vi: ClassVar[str] = "Kết quả đã được gửi qua dịch vụ bưu chính công ích"
    dossier_code: str
    shipment_id: uuid.UUID
    carrier: str
    tracking_code: str
    postage: Decimal | None = None
    """What the carrier charges for it (VND), as its order answered."""
    attempt: int = Field(default=1, ge=1)


class ShipmentDelivered(Event):
    topic: ClassVar[str] = "postal.events"
    description_vi: ClassVar[str] = "Bưu điện đã giao kết quả"
    dossier_code: str
    shipment_id: uuid.UUID
    tracking_code: str
    delivered_at: AwareDatetime


class ShipmentFailed(Event):
    """The carrier did not take the result (refused, or every attempt used up)."""

    topic: ClassVar[str] = "postal.events"
    description_vi: ClassVar[str] = "Không gửi được kết quả qua dịch vụ bưu chính"
    dossier_code: str
    shipment_id: uuid.UUID
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=1)


class ShipmentStatusChanged(Event):
    """The carrier's tracking moved the parcel (confirmed against its detail endpoint)."""

    topic: ClassVar[str] = "postal.events"
    description_vi: ClassVar[str] = "Cập nhật trạng thái bưu gửi"
    dossier_code: str
    shipment_id: uuid.UUID
    carrier: str
    tracking_code: str
    status: ShipmentStatus
    previous_status: ShipmentStatus | None = None
    changed_at: AwareDatetime
    """The carrier's own time of the update (updates are ordered by it)."""
    reason: str | None = Field(default=None, max_length=500)
    recipient_name: str | None = Field(default=None, max_length=200)
    """Who signed for the parcel, with ``delivered``."""
    attempt: int = Field(default=1, ge=1)
    """Which shipment of the result this is (a lost or returned parcel is shipped again)."""
    status_label_vi: str | None = Field(default=None, max_length=200)
    """The state as the citizen's timeline says it (``Giao bưu gửi không thành công``)."""


class ShipmentIncidentReported(Event):
    """The carrier lost or damaged the result: the department is told, and postal ships the
    result again (``reshipped_as`` is the new shipment's attempt)."""

    topic: ClassVar[str] = "postal.events"
    description_vi: ClassVar[str] = "Bưu gửi bị thất lạc hoặc hư hỏng, kết quả được gửi lại"
    dossier_code: str
    department_code: str | None = None
    shipment_id: uuid.UUID
    tracking_code: str
    status: Literal["lost", "damage"]
    attempt: int = Field(ge=1)
    reshipped_as: int = Field(ge=2)


class PostageQuoted(Event):
    """The postage of a postal return, quoted at submission: by the carrier's fee preview,
    or the catalog's figure when the carrier could not answer. Payment collects it with the
    fee, as a line of its own."""

    topic: ClassVar[str] = "postal.events"
    description_vi: ClassVar[str] = "Cước phí gửi kết quả qua bưu chính"
    dossier_code: str
    amount: Decimal = Field(ge=0)
    source: Literal["carrier", "catalog"]


# --- Notifications (topic notification.events) ------------------------------------------------


class NotificationSent(Event):
    topic: ClassVar[str] = "notification.events"
    description_vi: ClassVar[str] = "Đã gửi thông báo cho công dân"
    dossier_code: str
    channel: NotificationChannel
    template: str
    recipient: str = Field(description="Masked address, never the full one.")


class NotificationFailed(Event):
    topic: ClassVar[str] = "notification.events"
    description_vi: ClassVar[str] = "Không gửi được thông báo cho công dân"
    dossier_code: str
    channel: NotificationChannel
    template: str
    reason: str = Field(max_length=500)
    attempts: int = Field(ge=1)


class NotificationStatusChanged(Event):
    """A message's delivery state moved (Notify's model: created → sending → delivered | …)."""

    topic: ClassVar[str] = "notification.events"
    description_vi: ClassVar[str] = "Cập nhật trạng thái gửi thông báo"
    dossier_code: str
    message_id: uuid.UUID
    channel: NotificationChannel
    template: str
    template_version: int = Field(ge=1)
    status: MessageStatus
    changed_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=500)


def event_type_of(model: type[Event]) -> str:
    return model.type_name()
