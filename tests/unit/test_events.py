import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.contracts.events import DossierProcessingStarted, Envelope, PaymentRequested
from shared.contracts.status import DossierStatus


def test_an_envelope_round_trips_through_json_and_gives_back_the_typed_event() -> None:
    dossier_id = uuid.uuid4()
    envelope = Envelope.wrap(
        DossierProcessingStarted(dossier_code="VTH-250123-0001"),
        dossier_id=dossier_id, producer="processing",
    )
    again = Envelope.model_validate_json(envelope.model_dump_json())
    assert again == envelope
    assert again.event() == DossierProcessingStarted(dossier_code="VTH-250123-0001")
    assert again.event_type == "DossierProcessingStarted"
    assert again.occurred_at.tzinfo is not None
    assert again.correlation_id == again.event_id and again.causation_id is None


def test_a_caused_event_keeps_the_correlation_and_names_its_cause() -> None:
    first = Envelope.wrap(DossierProcessingStarted(dossier_code="C"), dossier_id=uuid.uuid4(),
                          producer="a", dossier_code="C")
    second = Envelope.wrap(DossierProcessingStarted(dossier_code="C"),
                           dossier_id=first.dossier_id, producer="b", caused_by=first)
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.event_id
    assert second.dossier_code == "C"


def test_consumers_ignore_unknown_types_and_unknown_fields() -> None:
    raw = {
        "event_id": str(uuid.uuid4()), "event_type": "SomethingFromTheFuture",
        "occurred_at": datetime.now(UTC).isoformat(), "dossier_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()), "producer": "x", "payload": {}, "new_field": 1,
    }
    assert Envelope.model_validate(raw).event() is None
    raw |= {"event_type": "DossierProcessingStarted",
            "payload": {"dossier_code": "C", "added_later": True}}
    assert Envelope.model_validate(raw).event() == DossierProcessingStarted(dossier_code="C")


def test_events_are_frozen_and_validated() -> None:
    event = DossierProcessingStarted(dossier_code="C")
    with pytest.raises(ValidationError):
        event.dossier_code = "D"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        PaymentRequested(dossier_code="C", payment_id=uuid.uuid4(), amount=0)


def test_an_envelope_needs_an_aware_timestamp() -> None:
    with pytest.raises(ValidationError):
        Envelope(event_id=uuid.uuid4(), event_type="X", occurred_at=datetime(2025, 1, 1),
                 dossier_id=uuid.uuid4(), correlation_id=uuid.uuid4(), producer="p", payload={})


def test_statuses_carry_their_national_number_and_vietnamese_label() -> None:
    assert DossierStatus.ACCEPTED.number == 2
    assert DossierStatus.RESULT_RETURNED.number == 10
    assert DossierStatus.AWAITING_FEE.label_vi == "Chờ thanh toán phí, lệ phí"
    assert DossierStatus.RESULT_RETURNED.is_final and not DossierStatus.DECIDED.is_final
