"""Payment's composition root."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

import httpx

from services.payment.endings import CAUSES, on_dossier_ended, on_dossier_submitted
from services.payment.gateway import PaymentGateway
from services.payment.handlers import collect_due_payments, on_dossier_accepted
from services.payment.refunds import collect_due_refunds
from services.payment.settings import PaymentSettings
from shared.catalog import load_catalog
from shared.events import DossierAccepted, DossierSubmitted, Event
from shared.messaging import Handler
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS
from shared.worker import drain_forever

BATCH = 20


async def charge_and_refund(runtime: Runtime) -> None:
    """Drain charges and refunds, through one client of the payment gateway."""
    settings: PaymentSettings = runtime.settings
    async with httpx.AsyncClient(
        base_url=settings.gateway_url, timeout=settings.gateway_timeout_s
    ) as client:
        gateway = PaymentGateway(client)
        drains = [
            drain_forever(runtime.pool, partial(collect, runtime.pool, gateway, batch_size=BATCH,
                                                max_attempts=settings.max_attempts),
                          channel=channel, batch_size=BATCH)
            for collect, channel in ((collect_due_payments, "payment"),
                                     (collect_due_refunds, "refund"))
        ]
        await asyncio.gather(*drains)


def subscriptions(runtime: Runtime) -> dict[str, dict[type[Event], Handler]]:
    on_ended = partial(on_dossier_ended, load_catalog())
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
    subscriptions=subscriptions,
    background=[charge_and_refund],
)
