"""Helpers for payment's integration tests (the fixtures are in conftest.py): a dossier fed to
payment's real consumer, the payment service's HTTP edge and the sandbox VNPay each served
over real HTTP, a citizen who follows the link, and one step of each side effect."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from deploy.sandbox.app import create_app
from deploy.sandbox.vnpay import VnpaySandbox
from services.payment import api, effects
from services.payment.adapters.gateway import Merchant, VnpayGateway
from services.payment.consumers import subscriptions
from services.payment.deps import OrderTerms, PaymentDeps
from services.payment.settings import DEV_MERCHANT
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
from shared.runtime.outbox import Transactions
from tests.messaging import event_consumer, record
from tests.support import Clock, serve_http

CATALOG = load_catalog("vinh-thanh-2024")
VERSION = "vinh-thanh-2024.1"
PROCEDURE = "2.002189"  # 75 000 VND, the catalog's default refund rule
FEE = Decimal(75000)
_AGENCY, _NUMBERS = f"P{uuid.uuid4().hex[:4].upper()}", itertools.count(1)


@dataclass
class Payment:
    """The payment service's edge and its dependencies, the sandbox gateway, their clocks."""

    pool: object
    deps: PaymentDeps
    sandbox: VnpaySandbox
    gateway_http: httpx.AsyncClient  # on the sandbox's /payment
    clock: Clock

    async def check(self, *, max_attempts: int = 5) -> int:
        """One step of the querydr checks, as the service runs it, on the test's clock."""
        effect = effects.checks(self.deps.vnpay, Retry(max_attempts=max_attempts),
                                now=self.clock, batch_size=50)
        return await run_once(effect, self.deps.transactions, now=self.clock)

    async def refund(self, *, max_attempts: int = 5) -> int:
        effect = effects.refunds(self.deps.vnpay, Retry(max_attempts=max_attempts),
                                 now=self.clock, batch_size=50)
        return await run_once(effect, self.deps.transactions, now=self.clock)

    def later(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)


@asynccontextmanager
async def payment_stack(pool, catalog: Catalog = CATALOG) -> AsyncIterator[Payment]:
    edge = FastAPI()
    edge.include_router(api.router)
    async with serve_http(edge) as payment_url:
        sandbox = VnpaySandbox(f"{payment_url}/v1/gateways/vnpay/ipn")
        async with serve_http(create_app(sandbox)) as sandbox_url, httpx.AsyncClient(
                base_url=f"{sandbox_url}/payment", timeout=5) as client:
            merchant = Merchant(*DEV_MERCHANT, f"{payment_url}/v1/gateways/vnpay/return")
            clock = Clock()
            edge.state.deps = PaymentDeps(
                transactions=Transactions(pool, "payment"), catalog=catalog,
                gateway=VnpayGateway(client, merchant), base_url=payment_url,
                orders=OrderTerms(), now=clock)
            yield Payment(pool, edge.state.deps, sandbox, client, clock)


def consumer(pool, deps: PaymentDeps) -> Consumer:
    """Payment's real consumer and table (inbox included); never subscribed here."""
    return event_consumer("payment", subscriptions(deps), pool, KafkaBroker("127.0.0.1:1"))


class Dossier:
    def __init__(self, payment: Payment) -> None:
        self.id = uuid.uuid4()
        self.code = f"{_AGENCY}-250123-{next(_NUMBERS):04d}"
        self.payment, self.pool = payment, payment.pool
        self.consumer = consumer(payment.pool, payment.deps)

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

    async def events(self) -> list[Event]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT payload FROM outbox_message WHERE topic = 'payment.events'
                   AND key = $1 ORDER BY id""", str(self.id))
        return [Envelope.model_validate_json(r["payload"]).event() for r in rows]

    async def kinds(self) -> list[str]:
        return [type(e).__name__ for e in await self.events()]

    async def pay_url(self) -> str:
        return next(e.pay_url for e in await self.events() if hasattr(e, "pay_url"))

    async def state(self) -> dict[str, object]:
        async with self.pool.acquire() as conn:
            fee = await conn.fetchrow("SELECT * FROM payment WHERE dossier_id = $1", self.id)
            orders = await conn.fetch(
                "SELECT * FROM payment_order WHERE payment_id = $1 ORDER BY created_at, id",
                fee["id"]) if fee else []
            refunds = await conn.fetch("SELECT * FROM refund WHERE dossier_id = $1", self.id)
        return {"fee": fee, "orders": orders, "refunds": refunds}


class Citizen:
    """A browser: follows the link to the gateway's page and presses one of its buttons."""

    def __init__(self) -> None:
        self.browser = httpx.AsyncClient(timeout=10)

    async def open(self, pay_url: str) -> tuple[str, str]:
        """Follow the link to the bank page; its form's action and the order's TxnRef."""
        page = await self.browser.get(pay_url, follow_redirects=True)
        assert page.status_code == 200, page.text
        txn_ref = re.search(r'name="vnp_TxnRef" value="([^"]+)"', page.text)
        assert txn_ref is not None, page.text
        return str(page.url.join("bank")), txn_ref.group(1)

    async def choose(self, form: tuple[str, str], choice: str) -> httpx.Response:
        """Press a button; the gateway's redirect back to our return page is followed."""
        action, txn_ref = form
        return await self.browser.post(action, data={"vnp_TxnRef": txn_ref, "choice": choice},
                                       follow_redirects=True)

    async def pay(self, pay_url: str, choice: str = "00") -> httpx.Response:
        return await self.choose(await self.open(pay_url), choice)
