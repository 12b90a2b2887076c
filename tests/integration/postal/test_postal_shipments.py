"""A decided result goes to the carrier once, and ends in an event whatever the carrier
answers: delivered, pending, refused for now or for good, or no answer at all. The real
database and consumer, the sandbox carrier over real HTTP with scripted answers, and a clock
the test holds."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from faststream.kafka import KafkaBroker

from services.postal import effects
from services.postal.adapters.carrier import Carrier
from services.postal.consumers import subscriptions
from services.postal.deps import PostalDeps
from shared.contracts.events import (
    Applicant,
    DossierDecided,
    DossierSubmitted,
    Envelope,
    ShipmentCreated,
    ShipmentFailed,
)
from shared.runtime.effects import Retry, run_once
from shared.runtime.outbox import Transactions
from tests.messaging import event_consumer, record
from tests.support import Clock, calls, script

pytestmark = pytest.mark.integration
_AGENCY, _NUMBERS = f"S{uuid.uuid4().hex[:4].upper()}", itertools.count(1)


@pytest.fixture
async def http(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/carrier", timeout=0.3) as client:
        yield client


async def decided(pool) -> tuple[uuid.UUID, str]:
    """A dossier for postal return, submitted and decided, through postal's real consumer."""
    dossier_id, code = uuid.uuid4(), f"{_AGENCY}-250123-{next(_NUMBERS):04d}"
    consumer = event_consumer("postal", subscriptions(PostalDeps(Transactions(pool, "postal"), ())),
                              pool, KafkaBroker("127.0.0.1:1"))
    for event in (
        DossierSubmitted(
            dossier_code=code, portal="p", portal_submission_id=str(dossier_id),
            agency_code="VTH", procedure_code="2.002189", procedure_name="Ghi chú kết hôn",
            department_code="tp", catalog_version="v",
            applicant=Applicant(full_name="Lê Thị Cúc", id_number="092301004567",
                                phone="0912345678", email="cuc@example.vn"),
            return_method="postal", postal_address="12 Đường 3/2, Vĩnh Thạnh, Cần Thơ",
            fee=Decimal(0), committed_days=7, received_at=datetime(2025, 1, 23, 3, tzinfo=UTC),
            due_date=date(2025, 2, 10)),
        DossierDecided(dossier_code=code, outcome="approved", decided_by="u1",
                       return_method="postal"),
    ):
        envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="test")
        await consumer.process(record(event.topic, envelope.model_dump_json().encode()))
    return dossier_id, code


async def ship(pool, http, *, clock: Clock | None = None, max_attempts: int = 5) -> int:
    effect = effects.shipments(Carrier(http), "VNPost", Retry(max_attempts=max_attempts))
    return await run_once(effect, Transactions(pool, "postal"), now=clock or Clock())


async def state(pool, dossier_id: uuid.UUID) -> tuple[object, list[str], object]:
    shipment = await pool.fetchrow("SELECT * FROM shipment WHERE dossier_id = $1", dossier_id)
    events = await pool.fetch("SELECT headers->>'event_type' AS type, payload FROM outbox_message "
                              "WHERE key = $1 ORDER BY id", str(dossier_id))
    last = Envelope.model_validate_json(events[-1]["payload"]).event() if events else None
    return shipment, [e["type"] for e in events], last


async def test_a_delivered_result_is_created_then_delivered(pool, http) -> None:
    dossier_id, code = await decided(pool)
    assert await ship(pool, http) == 1
    shipment, events, _ = await state(pool, dossier_id)
    assert shipment["status"] == "delivered"
    assert shipment["tracking_code"].startswith("EB")
    assert events == ["ShipmentCreated", "ShipmentDelivered"]
    assert await ship(pool, http) == 0
    assert await calls(http, "shipments", code) == ["default"]


async def test_a_shipment_the_carrier_refuses_fails_and_is_never_created(pool, http) -> None:
    dossier_id, code = await decided(pool)
    await script(http, "shipments", code, ["failed"])
    assert await ship(pool, http) == 1

    shipment, events, last = await state(pool, dossier_id)
    assert (shipment["status"], shipment["attempts"]) == ("failed", 1)
    assert events == ["ShipmentFailed"]
    assert last == ShipmentFailed(dossier_code=code, shipment_id=shipment["id"], attempts=1,
                                  reason="the carrier refused: address cannot be served")


async def test_a_refusal_for_now_and_a_timeout_are_retried_then_shipped(pool, http) -> None:
    dossier_id, code = await decided(pool)
    await script(http, "shipments", code, ["failed_retryable", "timeout", "created"])
    clock = Clock()
    for attempts in (1, 2):
        assert await ship(pool, http, clock=clock) == 1
        shipment, events, _ = await state(pool, dossier_id)
        assert (shipment["status"], shipment["attempts"], events) == ("pending", attempts, [])
        clock.now = shipment["next_attempt_at"]
    assert await ship(pool, http, clock=clock) == 1

    shipment, events, last = await state(pool, dossier_id)
    assert shipment["status"] == "created"
    assert events == ["ShipmentCreated"]
    assert last == ShipmentCreated(dossier_code=code, shipment_id=shipment["id"],
                                   carrier="VNPost", tracking_code=shipment["tracking_code"])
    assert await calls(http, "shipments", code) == ["failed_retryable", "timeout", "created"]


async def test_a_pending_shipment_is_asked_again_later_without_using_an_attempt(
        pool, http) -> None:
    dossier_id, code = await decided(pool)
    await script(http, "shipments", code, ["pending", "delivered"])
    clock = Clock()
    assert await ship(pool, http, clock=clock) == 1
    shipment, events, _ = await state(pool, dossier_id)
    assert (shipment["status"], shipment["attempts"], events) == ("pending", 0, [])
    assert shipment["next_attempt_at"] == clock.now + timedelta(seconds=60)
    assert await ship(pool, http, clock=clock) == 0

    clock.now += timedelta(seconds=60)
    assert await ship(pool, http, clock=clock) == 1
    assert (await state(pool, dossier_id))[1] == ["ShipmentCreated", "ShipmentDelivered"]
