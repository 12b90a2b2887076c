"""Helpers for payment's integration tests (the fixtures are in conftest.py): a dossier fed
to payment's real consumer, and one step of each of its side effects."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from faststream.kafka import KafkaBroker

from services.payment import effects
from services.payment.adapters.gateway import PaymentGateway
from services.payment.consumers import subscriptions
from services.payment.deps import PaymentDeps
from shared.contracts.events import (
    Applicant,
    DossierAccepted,
    DossierSubmitted,
    DossierWithdrawn,
    Envelope,
    Event,
)
from shared.contracts.status import DossierStatus
from shared.reference.catalog import Catalog, load_catalog
from shared.runtime.consumer import Consumer
from shared.runtime.effects import Retry, run_once
from shared.runtime.effects.loop import utc_now
from shared.runtime.outbox import Transactions
from tests.messaging import event_consumer, record

CATALOG = load_catalog("vinh-thanh-2024")
VERSION = "vinh-thanh-2024.1"
PROCEDURE = "2.002189"  # 75 000 VND, the catalog's default refund rule
FEE = Decimal(75000)
# Codes unique in the test run: the sandbox's scripted answers are per reference.
_AGENCY, _NUMBERS = f"P{uuid.uuid4().hex[:4].upper()}", itertools.count(1)


def consumer(pool, catalog: Catalog = CATALOG) -> Consumer:
    """Payment's real consumer and table (inbox included); never subscribed here."""
    deps = PaymentDeps(transactions=Transactions(pool, "payment"), catalog=catalog, effects=())
    return event_consumer("payment", subscriptions(deps), pool, KafkaBroker("127.0.0.1:1"))


class Dossier:
    def __init__(self, pool, catalog: Catalog = CATALOG) -> None:
        self.id = uuid.uuid4()
        self.code = f"{_AGENCY}-250123-{next(_NUMBERS):04d}"
        self.pool = pool
        self.consumer = consumer(pool, catalog)

    async def deliver(self, event: Event) -> Envelope:
        envelope = Envelope.wrap(event, dossier_id=self.id, producer="test",
                                 dossier_code=self.code)
        await self.redeliver(envelope)
        return envelope

    async def redeliver(self, envelope: Envelope) -> None:
        await self.consumer.process(record(DossierSubmitted.topic,
                                           envelope.model_dump_json().encode()))

    async def submit_and_accept(self) -> None:
        await self.deliver(DossierSubmitted(
            dossier_code=self.code, portal="p", portal_submission_id=str(self.id),
            agency_code="VTH", procedure_code=PROCEDURE, procedure_name="Ghi chú kết hôn",
            department_code="tp", catalog_version=VERSION,
            applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567",
                                phone="0912345678", email="binh@example.vn"),
            return_method="online", fee=FEE, committed_days=7,
            received_at=datetime(2025, 1, 23, 3, tzinfo=UTC), due_date=date(2025, 2, 10)))
        await self.deliver(DossierAccepted(
            dossier_code=self.code, department_code="tp", fee=FEE, due_date=date(2025, 2, 10),
            return_method="online", status=DossierStatus.AWAITING_FEE))

    def withdrawn(self) -> DossierWithdrawn:
        return DossierWithdrawn(dossier_code=self.code, reason="Không còn nhu cầu")

    async def state(self) -> dict[str, object]:
        async with self.pool.acquire() as conn:
            payment = await conn.fetchrow("SELECT * FROM payment WHERE dossier_id = $1", self.id)
            refunds = await conn.fetch("SELECT * FROM refund WHERE dossier_id = $1", self.id)
            events = await conn.fetch(
                """SELECT headers->>'event_type' AS type, payload FROM outbox_message
                   WHERE topic = 'payment.events' AND key = $1 ORDER BY id""", str(self.id))
        return {"payment": payment, "refunds": refunds, "events": [e["type"] for e in events],
                "last": Envelope.model_validate_json(events[-1]["payload"]).event()}


async def charge(pool, gateway: PaymentGateway, *, max_attempts: int = 5,
                 now: Callable[[], datetime] = utc_now) -> int:
    """One step of the charges, as the service runs it; how many were tried."""
    effect = effects.charges(gateway, Retry(max_attempts=max_attempts), batch_size=50)
    return await run_once(effect, Transactions(pool, "payment"), now=now)


async def refund(pool, gateway: PaymentGateway, *, max_attempts: int = 5) -> int:
    effect = effects.refunds(gateway, Retry(max_attempts=max_attempts), batch_size=50)
    return await run_once(effect, Transactions(pool, "payment"))

