"""A dossier that ends without a result: the fee is cancelled before its charge, or refunded
after it where the catalog says so — on the real database and the real sandbox gateway."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from deploy.sandbox import payment as sandbox
from services.payment.endings import CAUSES, on_dossier_ended, on_dossier_submitted
from services.payment.gateway import PaymentGateway
from services.payment.handlers import collect_due_payments, on_dossier_accepted
from services.payment.refunds import collect_due_refunds
from shared.contracts.events import (
    Applicant,
    DossierAccepted,
    DossierProcessingStopped,
    DossierSubmitted,
    DossierWithdrawn,
    Envelope,
    Event,
    PaymentRefunded,
)
from shared.contracts.status import DossierStatus
from shared.contracts.topics import DOSSIER_EVENTS
from shared.reference.catalog import Catalog, load_catalog
from shared.runtime.consumer import Consumer
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from tests.messaging import event_consumer, record

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).parents[2] / "services" / "payment" / "migrations"
CATALOG = load_catalog("vinh-thanh-2024")
VERSION = "vinh-thanh-2024.1"
PROCEDURE = "2.002189"  # 75 000 VND, the catalog's default refund rule
FEE = Decimal(75000)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[object]:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, MIGRATIONS))
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


class FlakyTransport(httpx.AsyncBaseTransport):
    """The real sandbox in process; the first ``failures`` refund calls never reach it."""

    def __init__(self, failures: int = 0) -> None:
        app = FastAPI()
        app.include_router(sandbox.router)
        self._sandbox = httpx.ASGITransport(app=app)
        self.failures = failures
        self.refund_calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/refunds"):
            self.refund_calls += 1
            if self.refund_calls <= self.failures:
                raise httpx.ConnectError("gateway unreachable", request=request)
        return await self._sandbox.handle_async_request(request)


def gateway(transport: FlakyTransport) -> PaymentGateway:
    return PaymentGateway(httpx.AsyncClient(transport=transport, base_url="http://sbx/payment"))


def consumer(pool, catalog: Catalog = CATALOG) -> Consumer:
    """Payment's real consumer on dossier.events (inbox included); never subscribed here."""
    handlers = {DossierSubmitted: on_dossier_submitted, DossierAccepted: on_dossier_accepted,
                **dict.fromkeys(CAUSES, lambda e, env, uow: on_dossier_ended(catalog, e, env,
                                                                               uow))}
    return event_consumer("payment", {DOSSIER_EVENTS: handlers}, pool,
                          KafkaBroker("127.0.0.1:1"))


class Dossier:
    def __init__(self, pool, catalog: Catalog = CATALOG) -> None:
        self.id = uuid.uuid4()
        self.code = f"VTH-250123-{self.id.int % 10_000:04d}"
        self.pool = pool
        self.consumer = consumer(pool, catalog)

    async def deliver(self, event: Event) -> Envelope:
        envelope = Envelope.wrap(event, dossier_id=self.id, producer="test",
                                 dossier_code=self.code)
        await self.redeliver(envelope)
        return envelope

    async def redeliver(self, envelope: Envelope) -> None:
        await self.consumer.process(record(DOSSIER_EVENTS, envelope.model_dump_json().encode()))

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


async def charge(pool, transport: FlakyTransport) -> None:
    await collect_due_payments(pool, gateway(transport), batch_size=50, max_attempts=5)


async def refund(pool, transport: FlakyTransport) -> int:
    return await collect_due_refunds(pool, gateway(transport), batch_size=50, max_attempts=5)


def charged_at_sandbox(code: str) -> list[dict[str, object]]:
    return [p["response"] for p in sandbox._payments.values() if p["response"]["reference"] == code]


def refunded_at_sandbox(code: str) -> list[dict[str, object]]:
    return [r["response"] for r in sandbox._refunds.values() if r["response"]["reference"] == code]


async def test_withdrawn_before_the_charge_is_cancelled_and_never_charged(pool) -> None:
    dossier, transport = Dossier(pool), FlakyTransport()
    await dossier.submit_and_accept()
    await dossier.deliver(dossier.withdrawn())
    await charge(pool, transport)

    state = await dossier.state()
    assert state["payment"]["status"] == "cancelled"
    assert state["payment"]["ended_because"] == "withdrawn"
    assert state["events"] == ["PaymentRequested", "PaymentCancelled"]
    assert state["refunds"] == []
    assert charged_at_sandbox(dossier.code) == []


async def test_paid_fee_is_refunded_exactly_once_despite_redelivery_and_a_gateway_failure(
    pool,
) -> None:
    dossier, transport = Dossier(pool), FlakyTransport(failures=1)
    await dossier.submit_and_accept()
    await charge(pool, transport)
    withdrawn = await dossier.deliver(dossier.withdrawn())
    await dossier.redeliver(withdrawn)

    assert await refund(pool, transport) == 1  # the gateway call fails: backed off
    failed = (await dossier.state())["refunds"][0]
    assert (failed["status"], failed["attempts"]) == ("requested", 1)
    assert "gateway unreachable" in failed["last_error"]
    assert refunded_at_sandbox(dossier.code) == []
    async with pool.acquire() as conn:  # the back-off has passed
        await conn.execute("UPDATE refund SET next_attempt_at = now() WHERE id = $1",
                           failed["id"])
    assert await refund(pool, transport) == 1
    assert await refund(pool, transport) == 0  # nothing left to refund

    state = await dossier.state()
    at_gateway = refunded_at_sandbox(dossier.code)
    assert len(at_gateway) == 1 and Decimal(at_gateway[0]["amount"]) == FEE
    assert state["payment"]["status"] == "refunded"
    assert [r["status"] for r in state["refunds"]] == ["completed"]
    assert state["events"] == ["PaymentRequested", "PaymentCompleted", "PaymentRefunded"]
    assert state["last"] == PaymentRefunded(
        dossier_code=dossier.code, payment_id=state["payment"]["id"],
        refund_id=state["refunds"][0]["id"], amount=FEE, gateway_refund_id=at_gateway[0]["id"],
        cause="withdrawn")
    assert transport.refund_calls == 2


async def test_no_refund_when_the_catalog_keeps_the_fee(pool) -> None:
    dossier, transport = Dossier(pool), FlakyTransport()
    await dossier.submit_and_accept()
    await charge(pool, transport)
    await dossier.deliver(DossierProcessingStopped(
        dossier_code=dossier.code, reason="Không bổ sung hồ sơ", actor_role="approver"))
    assert await refund(pool, transport) == 0

    state = await dossier.state()
    assert state["payment"]["status"] == "completed"
    assert state["refunds"] == []
    assert state["events"] == ["PaymentRequested", "PaymentCompleted"]


async def test_a_procedure_whose_data_refunds_nothing_keeps_a_withdrawn_fee(pool) -> None:
    version = CATALOG.version(VERSION)
    data = version.model_dump()
    for procedure in data["procedures"]:
        procedure["refund_on"] = ()
    catalog = Catalog(dataset="x", versions=(type(version).model_validate(data),), source="x")
    dossier, transport = Dossier(pool, catalog), FlakyTransport()
    await dossier.submit_and_accept()
    await charge(pool, transport)
    await dossier.deliver(dossier.withdrawn())
    assert await refund(pool, transport) == 0
    assert (await dossier.state())["payment"]["status"] == "completed"


async def test_a_cancel_arriving_during_a_charge_waits_for_it_then_refunds(pool) -> None:
    """The charging step holds the payment's row lock through its gateway call; the end of
    the dossier waits on that lock and acts on what the charge committed."""
    dossier = Dossier(pool)
    await dossier.submit_and_accept()
    in_flight, release = asyncio.Event(), asyncio.Event()

    class SlowCharge(FlakyTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/v1/payments"):
                in_flight.set()
                await release.wait()
            return await super().handle_async_request(request)

    transport = SlowCharge()
    charging = asyncio.create_task(charge(pool, transport))
    await asyncio.wait_for(in_flight.wait(), 5)
    ending = asyncio.create_task(dossier.deliver(dossier.withdrawn()))
    await asyncio.wait_for(_blocked_on_lock(pool), 5)  # the cancel waits for the charge
    release.set()
    await asyncio.wait_for(asyncio.gather(charging, ending), 5)
    assert await refund(pool, transport) == 1

    state = await dossier.state()
    assert len(charged_at_sandbox(dossier.code)) == 1
    assert len(refunded_at_sandbox(dossier.code)) == 1
    assert state["payment"]["status"] == "refunded"
    assert state["events"] == ["PaymentRequested", "PaymentCompleted", "PaymentRefunded"]


async def test_a_charge_after_the_cancel_committed_finds_nothing_to_charge(pool) -> None:
    dossier, transport = Dossier(pool), FlakyTransport()
    await dossier.submit_and_accept()
    async with pool.acquire() as conn, conn.transaction():
        # The cancel holds the row: a charging replica skips it, and then finds it cancelled.
        await conn.execute("SELECT 1 FROM payment WHERE dossier_id = $1 FOR UPDATE", dossier.id)
        await charge(pool, transport)
        assert charged_at_sandbox(dossier.code) == []
    await dossier.deliver(dossier.withdrawn())
    await charge(pool, transport)
    assert charged_at_sandbox(dossier.code) == []
    assert (await dossier.state())["payment"]["status"] == "cancelled"


async def _blocked_on_lock(pool) -> None:
    from tests.support import wait_until

    async def waiting() -> bool:
        async with pool.acquire() as conn:
            return bool(await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))

    await wait_until(waiting, description="the end of the dossier waits on the row lock")
