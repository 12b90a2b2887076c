"""Payment's composition root."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import httpx

from services.payment.gateway import PaymentGateway
from services.payment.handlers import collect_due_payments, on_dossier_accepted
from services.payment.settings import PaymentSettings
from shared.events import DossierAccepted
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS
from shared.worker import drain_forever

BATCH = 20


async def collect_payments(runtime: Runtime) -> None:
    settings: PaymentSettings = runtime.settings
    async with httpx.AsyncClient(
        base_url=settings.gateway_url, timeout=settings.gateway_timeout_s
    ) as client:
        step = partial(collect_due_payments, runtime.pool, PaymentGateway(client),
                       batch_size=BATCH, max_attempts=settings.max_attempts)
        await drain_forever(runtime.pool, step, channel="payment", batch_size=BATCH)


SPEC = ServiceSpec(
    name="payment",
    title="Một Cửa — payment",
    description="Online payment of fees (phí, lệ phí) through a payment gateway.",
    migrations=Path(__file__).parent / "migrations",
    subscriptions=lambda runtime: {DOSSIER_EVENTS: {DossierAccepted: on_dossier_accepted}},
    background=[collect_payments],
)
