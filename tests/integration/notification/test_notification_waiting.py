"""An event read before its dossier's submission waits for it instead of failing.

Notification reads dossier.events and payment.events through one group, and Kafka orders a
partition's records, never one topic's against another's: a fee request can be read before
the DossierSubmitted that says how to reach the applicant (the chaos run met it when
notification lagged behind payment). It used to fail five times and be dead-lettered, and the
citizen never got the payment link."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from faststream.kafka import KafkaBroker

from services.notification.consumers import subscriptions
from services.notification.deps import NotificationDeps
from shared.contracts.events import (
    Applicant,
    DossierAccepted,
    DossierSubmitted,
    Envelope,
    PaymentRequested,
)
from shared.contracts.status import DossierStatus
from shared.runtime.outbox import Transactions
from tests.integration.notification.support import WRITING, send_to_a_server
from tests.messaging import event_consumer, record

pytestmark = pytest.mark.integration
CODE = "VTH-250123-0042"
PAY_URL = "https://motcua.example.vn/payment/v1/pay/0b3c"


def envelopes(dossier_id: uuid.UUID) -> tuple[Envelope, Envelope, Envelope]:
    submitted = DossierSubmitted(
        dossier_code=CODE, portal="p", portal_submission_id=str(dossier_id), agency_code="VTH",
        procedure_code="2.002189", procedure_name="Ghi vào Sổ hộ tịch việc kết hôn",
        department_code="tp", catalog_version="v",
        applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567",
                            phone="0912345678", email="binh@example.vn", channels=("email",)),
        return_method="online", fee=Decimal(100_000), committed_days=7,
        received_at=datetime(2025, 1, 23, 3, tzinfo=UTC), due_date=date(2025, 2, 10))
    accepted = DossierAccepted(dossier_code=CODE, department_code="tp", fee=Decimal(100_000),
                               due_date=date(2025, 2, 10), return_method="online",
                               status=DossierStatus.ACCEPTED)
    requested = PaymentRequested(dossier_code=CODE, payment_id=uuid.uuid4(),
                                 amount=Decimal(100_000), pay_url=PAY_URL)
    wrap = lambda event, producer: Envelope.wrap(  # noqa: E731
        event, dossier_id=dossier_id, producer=producer, dossier_code=CODE)
    return wrap(submitted, "intake"), wrap(accepted, "processing"), wrap(requested, "payment")


async def test_a_fee_request_read_before_the_submission_waits_and_reaches_the_citizen(
        pool) -> None:
    dossier_id = uuid.uuid4()
    submitted, accepted, requested = envelopes(dossier_id)
    consumer = event_consumer("notification", subscriptions(NotificationDeps(
        Transactions(pool, "notification"), (), WRITING)), pool, KafkaBroker("127.0.0.1:1"))

    def as_record(envelope: Envelope):
        topic = "payment.events" if envelope.producer == "payment" else "dossier.events"
        return record(topic, envelope.model_dump_json().encode(), key=CODE.encode())

    # The fee request first, in the same batch as the acceptance, and once more alone.
    await consumer.process_batch([as_record(requested), as_record(accepted)])
    await consumer.process(as_record(requested))
    assert await pool.fetchval("SELECT count(*) FROM message") == 0
    assert await pool.fetchval("SELECT count(*) FROM waiting_event") == 2, "each event once"

    await consumer.process(as_record(submitted))
    await consumer.process(as_record(requested))  # a late redelivery: nothing more
    assert await pool.fetchval("SELECT count(*) FROM waiting_event") == 0
    rows = await pool.fetch("SELECT template_id, causation_event_id FROM message "
                            "ORDER BY created_at, id")
    assert sorted((r["template_id"], r["causation_event_id"]) for r in rows) == sorted([
        ("dossier_accepted", accepted.event_id), ("fee_payment_link", requested.event_id)])
    assert await pool.fetchval("SELECT pay_url FROM contact WHERE dossier_id = $1",
                               dossier_id) == PAY_URL

    received = await send_to_a_server(pool, 2)
    bodies = {m["Subject"]: m.get_body(("plain",)).get_content() for _, _, m in received}
    [link_email] = [body for body in bodies.values() if PAY_URL in body]
    assert "100.000 đồng" in link_email
