"""A dossier's facts, folded from its recorded events (and from nothing else).

The fold sorts a dossier's events by the moment they happened, then by the order they were
recorded, so the facts do not depend on how the topics' partitions interleaved: a rebuild that
reads the topics in another order folds the same facts. Events of one dossier on different
topics (dossier.events, payment.events) are not ordered against each other by Kafka.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from shared.contracts.events import (
    EVENT_TYPES,
    DossierAccepted,
    DossierApologyIssued,
    DossierAtRisk,
    DossierDeadlineRecomputed,
    DossierDecided,
    DossierOverdue,
    DossierProcessingResumed,
    DossierProcessingStopped,
    DossierRated,
    DossierRefusedAtIntake,
    DossierResultReturned,
    DossierSubmitted,
    DossierTransferred,
    DossierWithdrawn,
    Envelope,
    Event,
    PaymentCompleted,
    PaymentRequested,
    ShipmentCreated,
    SupplementRequested,
)
from shared.contracts.status import DossierStatus

PERSONAL_FIELDS = frozenset({"applicant", "postal_address", "comment", "submitted_by",
                             "recipient", "recipient_name", "note"})
"""Payload fields never stored: the read model keeps no citizen's personal data."""

_STAND_INS: dict[str, Any] = {
    "applicant": {"full_name": "-", "id_number": "-", "phone": "-", "email": "-"},
    "recipient": "-",
}
"""What a removed field the contract requires reads as, so the stored payload validates."""


@dataclass(frozen=True)
class Recorded:
    """One stored event of a dossier: its envelope's facts and its payload (personal data
    removed), ``seq`` being the order the read model recorded it in."""

    seq: int
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, envelope: Envelope, seq: int = 0) -> Recorded:
        return cls(seq, envelope.event_id, envelope.event_type, envelope.occurred_at,
                   sanitized(envelope.payload))

    def event(self) -> Event | None:
        """The typed payload; None for a type this build does not know, or a payload that no
        longer validates (the consumer checked it against the contract when it arrived)."""
        model = EVENT_TYPES.get(self.event_type)
        if model is None:
            return None
        payload = {**{k: v for k, v in _STAND_INS.items() if k in model.model_fields},
                   **self.payload}
        try:
            return model.model_validate(payload)
        except ValidationError:
            return None


def sanitized(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in PERSONAL_FIELDS}


@dataclass(frozen=True)
class Pause:
    """A stretch when the clock stood still: waiting for the fee or for a supplement."""

    because: str  # "fee" | "supplement"
    paused_at: datetime
    resumed_at: datetime | None = None


END_STATES = ("decided", "withdrawn", "refused_at_intake", "stopped")


@dataclass
class DossierFacts:
    """What the indicators and the what-if need of one dossier. Built only by :func:`fold`."""

    dossier_id: uuid.UUID
    code: str | None = None
    agency: str | None = None
    department: str | None = None
    procedure: str | None = None
    procedure_name: str | None = None
    catalog_version: str | None = None
    channel: str | None = None
    received_at: datetime | None = None
    committed_days: int | None = None
    statutory_days: int | None = None
    first_due: date | None = None
    statutory_due: date | None = None
    due: date | None = None
    fee: float = 0.0
    return_method: str | None = None
    documents: int = 0
    accepted: bool = False
    end: str | None = None  # one of END_STATES
    ended_at: datetime | None = None
    outcome: str | None = None
    sla_recorded: str | None = None
    result_electronic: bool = False
    returned_at: datetime | None = None
    payment_requested: bool = False
    paid_online: bool = False
    shipped: bool = False
    apologies: list[date] = field(default_factory=list)
    at_risk_due: date | None = None
    overdue_due: date | None = None
    rating: str | None = None
    rated_at: datetime | None = None
    pauses: list[Pause] = field(default_factory=list)

    @property
    def decided_at(self) -> datetime | None:
        return self.ended_at if self.end == "decided" else None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].resumed_at is None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return _jsonable(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DossierFacts:
        d = dict(data)
        d["dossier_id"] = uuid.UUID(d["dossier_id"])
        for k in ("received_at", "ended_at", "returned_at", "rated_at"):
            d[k] = datetime.fromisoformat(d[k]) if d.get(k) else None
        for k in ("first_due", "statutory_due", "due", "at_risk_due", "overdue_due"):
            d[k] = date.fromisoformat(d[k]) if d.get(k) else None
        d["apologies"] = [date.fromisoformat(x) for x in d.get("apologies", ())]
        d["pauses"] = [Pause(p["because"], datetime.fromisoformat(p["paused_at"]),
                             datetime.fromisoformat(p["resumed_at"]) if p["resumed_at"] else None)
                       for p in d.get("pauses", ())]
        return cls(**d)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def fold(dossier_id: uuid.UUID, events: list[Recorded]) -> DossierFacts:
    """The dossier's facts after all its ``events``, whatever order they were recorded in."""
    facts = DossierFacts(dossier_id)
    for recorded in sorted(events, key=lambda r: (r.occurred_at, r.seq)):
        event = recorded.event()
        if event is not None:
            _apply(facts, event, recorded.occurred_at)
    return facts


def _open_pause(facts: DossierFacts, because: str, at: datetime) -> None:
    if not facts.paused:
        facts.pauses.append(Pause(because, at))


def _close_pause(facts: DossierFacts, at: datetime) -> None:
    if facts.paused:
        facts.pauses[-1] = Pause(facts.pauses[-1].because, facts.pauses[-1].paused_at, at)


def _end(facts: DossierFacts, how: str, at: datetime) -> None:
    if facts.end is None:
        facts.end, facts.ended_at = how, at


def _apply(f: DossierFacts, e: Event, at: datetime) -> None:
    match e:
        case DossierSubmitted():
            f.code, f.agency, f.department = e.dossier_code, e.agency_code, e.department_code
            f.procedure, f.procedure_name = e.procedure_code, e.procedure_name
            f.catalog_version, f.channel = e.catalog_version, e.channel
            f.received_at, f.committed_days = e.received_at, e.committed_days
            f.statutory_days, f.statutory_due = e.statutory_days, e.statutory_due_date
            f.first_due, f.due = e.due_date, e.due_date
            f.fee, f.return_method, f.documents = float(e.fee), e.return_method, len(e.documents)
        case DossierAccepted():
            f.accepted, f.department, f.fee = True, e.department_code, float(e.fee)
            f.due, f.return_method = e.due_date, e.return_method
            f.first_due = f.first_due or e.due_date
            f.statutory_due = e.statutory_due_date or f.statutory_due
            if e.status == DossierStatus.AWAITING_FEE:
                _open_pause(f, "fee", at)
        case SupplementRequested():
            _open_pause(f, "supplement", at)
        case DossierProcessingResumed():
            _close_pause(f, at)
            f.due = e.due_date
        case DossierTransferred():
            f.department = e.to_department_code
        case DossierApologyIssued():
            f.apologies.append(e.issued_on)
            f.due = e.new_due_date
        case DossierDeadlineRecomputed():
            f.due = e.new_due_date
            f.statutory_due = e.statutory_due_date or f.statutory_due
        case DossierAtRisk():
            f.at_risk_due = e.due_date
        case DossierOverdue():
            f.overdue_due = e.due_date
        case DossierDecided():
            _close_pause(f, at)
            _end(f, "decided", at)
            f.outcome, f.sla_recorded = e.outcome, e.sla_result
            f.result_electronic = e.result_document is not None
            f.return_method = e.return_method
        case DossierResultReturned():
            f.returned_at = at
            f.sla_recorded = f.sla_recorded or e.sla_result
        case DossierWithdrawn():
            _end(f, "withdrawn", at)
        case DossierRefusedAtIntake():
            _end(f, "refused_at_intake", at)
        case DossierProcessingStopped():
            _end(f, "stopped", at)
        case DossierRated():
            if f.rating is None:  # a citizen rates once; a second rating is not counted
                f.rating, f.rated_at = e.rating, e.rated_at
        case PaymentRequested():
            f.payment_requested = True
        case PaymentCompleted():
            f.paid_online = True
        case ShipmentCreated():
            f.shipped = True
        case _:
            pass
