"""Payment's composition root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import asyncpg
import httpx

from services.payment.endings import CAUSES, on_dossier_ended, on_dossier_submitted
from services.payment.gateway import PaymentGateway
from services.payment.handlers import collect_due_payments, on_dossier_accepted
from services.payment.refunds import collect_due_refunds
from services.payment.settings import PaymentSettings
from shared.contracts.events import DossierAccepted, DossierSubmitted, Event
from shared.contracts.topics import DOSSIER_EVENTS
from shared.reference.catalog import Catalog, load_catalog
from shared.runtime.dispatch import Handler
from shared.runtime.service import Platform, ServiceSpec
from shared.runtime.worker import drain_forever

BATCH = 20


@dataclass(frozen=True)
class PaymentDeps:
    pool: asyncpg.Pool
    gateway: PaymentGateway
    catalog: Catalog
    max_attempts: int


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[PaymentDeps]:
    """One client of the payment gateway, for charges and refunds alike."""
    settings: PaymentSettings = platform.settings
    async with httpx.AsyncClient(
        base_url=settings.gateway_url, timeout=settings.gateway_timeout_s
    ) as client:
        yield PaymentDeps(pool=platform.pool, gateway=PaymentGateway(client),
                          catalog=load_catalog(), max_attempts=settings.max_attempts)


async def charge_and_refund(deps: PaymentDeps) -> None:
    """Drain charges and refunds."""
    drains = [
        drain_forever(deps.pool, partial(collect, deps.pool, deps.gateway, batch_size=BATCH,
                                         max_attempts=deps.max_attempts),
                      channel=channel, batch_size=BATCH)
        for collect, channel in ((collect_due_payments, "payment"),
                                 (collect_due_refunds, "refund"))
    ]
    await asyncio.gather(*drains)


def subscriptions(deps: PaymentDeps) -> dict[str, dict[type[Event], Handler]]:
    on_ended = partial(on_dossier_ended, deps.catalog)
    return {DOSSIER_EVENTS: {
        DossierSubmitted: on_dossier_submitted,
        DossierAccepted: on_dossier_accepted,
        **dict.fromkeys(CAUSES, on_ended),
    }}


SPEC = ServiceSpec(
    name="payment",
    title="Một Cửa — payment",
    description="Online payment of fees (phí, lệ phí) through a payment gateway; cancels or "
                "refunds them when a dossier ends without a result.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    background=[charge_and_refund],
)
