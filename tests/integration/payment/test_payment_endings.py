"""A dossier that ends without a result: the fee is cancelled before its charge, or refunded
after it where the catalog says so — on the real database and the real sandbox gateway."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from deploy.sandbox import payment as sandbox
from services.payment.adapters.gateway import PaymentGateway
from shared.contracts.events import DossierProcessingStopped, PaymentRefunded
from shared.reference.catalog import Catalog
from tests.integration.payment import support
from tests.integration.payment.support import CATALOG, FEE, VERSION, Dossier

pytestmark = pytest.mark.integration


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


async def charge(pool, transport: FlakyTransport) -> None:
    await support.charge(pool, gateway(transport))


async def refund(pool, transport: FlakyTransport) -> int:
    return await support.refund(pool, gateway(transport))


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
