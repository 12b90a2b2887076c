"""Helpers for postal's integration tests: postal's real consumer, its webhook edge and the
sandbox carrier (GHN v2 shaped) each over real HTTP, the carrier's clock and postal's clock
both held by the test, and one step of each side effect."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from deploy.sandbox.app import create_app
from deploy.sandbox.carrier import CarrierSandbox
from services.postal import api, effects
from services.postal.adapters.ghn import GhnCarrier
from services.postal.bootstrap import SPEC
from services.postal.consumers import subscriptions
from services.postal.deps import PostalDeps
from services.postal.handlers.tracking import poll_once
from services.postal.settings import DEV_CARRIER
from shared.contracts.events import (
    Applicant,
    DossierDecided,
    DossierSubmitted,
    Envelope,
    Event,
    PostalAddress,
    RedeliveryRequested,
)
from shared.runtime.effects import Retry, run_once
from shared.runtime.outbox import Transactions
from shared.runtime.service import install_errors
from tests.messaging import event_consumer, record
from tests.support import Clock, serve_http

TOKEN = "test-hook-" + uuid.uuid4().hex  # the secret path segment of this run
STEP = timedelta(seconds=10)  # one carrier state every 10 s of the sandbox's clock
_AGENCY, _NUMBERS = f"S{uuid.uuid4().hex[:4].upper()}", itertools.count(1)


def address(street: str = "12 Đường 3/2") -> PostalAddress:
    return PostalAddress(recipient_name="Lê Thị Cúc", phone="0912345678", street=street,
                         ward="Xã Vĩnh Thạnh", province="Thành phố Cần Thơ", ward_code="31471")


@dataclass
class Postal:
    pool: Any
    deps: PostalDeps
    carrier: CarrierSandbox
    edge_url: str
    clock: Clock  # postal's (the poll's)

    def consumer(self) -> Any:
        return event_consumer("postal", subscriptions(self.deps), self.pool,
                              KafkaBroker("127.0.0.1:1"))

    def _catch_up(self) -> None:
        """Postal's clock never behind the rows the test just inserted (the database's now)."""
        self.clock.now = max(self.clock.now, datetime.now(UTC))

    async def ship(self, *, max_attempts: int = 5) -> int:
        self._catch_up()
        effect = effects.shipments(self.deps.carrier, Retry(max_attempts=max_attempts))
        return await run_once(effect, self.deps.transactions, now=self.clock)

    async def quote(self) -> int:
        self._catch_up()
        return await run_once(effects.quotes(self.deps.carrier), self.deps.transactions,
                              now=self.clock)

    async def ask_carrier(self) -> int:
        self._catch_up()
        effect = effects.requests(self.deps.carrier, Retry(max_attempts=3))
        return await run_once(effect, self.deps.transactions, now=self.clock)

    async def advance(self, seconds: float) -> int:
        """Move the carrier's clock: parcels take their next states, webhooks go out (and
        are handled by postal's edge) before this returns."""
        return await self.carrier.advance(seconds)

    async def poll(self) -> int:
        return await poll_once(self.deps)

    async def webhook(self, body: dict[str, Any], token: str = TOKEN,
                      carrier: str = "ghn") -> httpx.Response:
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.post(f"{self.edge_url}/v1/carriers/{carrier}/webhooks/{token}",
                                     json=body)


@asynccontextmanager
async def postal_stack(pool: Any) -> AsyncIterator[Postal]:
    edge = FastAPI()
    install_errors(edge, SPEC.errors)
    edge.include_router(api.router)
    async with serve_http(edge) as edge_url:
        sandbox = CarrierSandbox(f"{edge_url}/v1/carriers/ghn/webhooks/{TOKEN}", step=STEP)
        async with serve_http(create_app(parcels=sandbox)) as sandbox_url, httpx.AsyncClient(
                base_url=f"{sandbox_url}/carrier/shiip/public-api", timeout=5) as client:
            clock = Clock()
            edge.state.deps = PostalDeps(
                transactions=Transactions(pool, "postal"), effects=(),
                carrier=GhnCarrier(client, token=DEV_CARRIER[0], shop_id=DEV_CARRIER[1]),
                webhook_tokens={"ghn": TOKEN}, poll_after=timedelta(hours=1), now=clock)
            yield Postal(pool, edge.state.deps, sandbox, edge_url, clock)


class Dossier:
    """A postal-return dossier, fed to postal's real consumer (inbox included)."""

    def __init__(self, postal: Postal) -> None:
        self.id, self.code = uuid.uuid4(), f"{_AGENCY}-250123-{next(_NUMBERS):04d}"
        self.postal, self.consumer = postal, postal.consumer()

    async def deliver(self, event: Event) -> Envelope:
        envelope = Envelope.wrap(event, dossier_id=self.id, producer="test",
                                 dossier_code=self.code)
        await self.consumer.process(record(event.topic, envelope.model_dump_json().encode()))
        return envelope

    async def decided(self, street: str = "12 Đường 3/2") -> Dossier:
        await self.deliver(DossierSubmitted(
            dossier_code=self.code, portal="p", portal_submission_id=str(self.id),
            agency_code="VTH", procedure_code="2.002189", procedure_name="Ghi chú kết hôn",
            department_code="tp", catalog_version="vinh-thanh-2024.1",
            applicant=Applicant(full_name="Lê Thị Cúc", id_number="092301004567",
                                phone="0912345678", email="cuc@example.vn"),
            return_method="postal", postal_address=address(street), fee=Decimal(0),
            committed_days=7, received_at=datetime(2025, 1, 23, 3, tzinfo=UTC),
            due_date=date(2025, 2, 10)))
        await self.deliver(DossierDecided(dossier_code=self.code, outcome="approved",
                                          decided_by="u1", return_method="postal"))
        return self

    async def choose(self, choice: str) -> Envelope:
        return await self.deliver(RedeliveryRequested(
            dossier_code=self.code, choice=choice,
            requested_at=datetime.now(UTC)))

    async def shipments(self) -> list[Any]:
        return await self.postal.pool.fetch(
            "SELECT * FROM shipment WHERE dossier_id = $1 ORDER BY attempt", self.id)

    async def shipment(self) -> Any:
        return (await self.shipments())[-1]

    async def events(self) -> list[Event]:
        rows = await self.postal.pool.fetch(
            "SELECT payload FROM outbox_message WHERE key = $1 ORDER BY id", str(self.id))
        return [e for r in rows if (e := Envelope.model_validate_json(r["payload"]).event())]

    async def statuses(self) -> list[str]:
        return [e.status for e in await self.events()
                if type(e).__name__ == "ShipmentStatusChanged"]

    async def kinds(self) -> list[str]:
        return [type(e).__name__ for e in await self.events()]

    async def updates(self) -> list[tuple[str, bool]]:
        rows = await self.postal.pool.fetch(
            """SELECT u.status, u.applied FROM shipment_update u JOIN shipment s
               ON s.id = u.shipment_id WHERE s.dossier_id = $1 ORDER BY u.changed_at""",
            self.id)
        return [(r["status"], r["applied"]) for r in rows]
