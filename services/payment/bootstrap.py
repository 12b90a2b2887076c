"""Payment's composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from operator import attrgetter
from pathlib import Path

import httpx

from services.payment import effects
from services.payment.adapters.gateway import PaymentGateway
from services.payment.consumers import subscriptions
from services.payment.deps import PaymentDeps
from services.payment.settings import PaymentSettings
from shared.reference.catalog import load_catalog
from shared.runtime.service import Platform, ServiceSpec


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[PaymentDeps]:
    """One client of the payment gateway, for charges and refunds alike."""
    settings: PaymentSettings = platform.settings
    async with httpx.AsyncClient(
        base_url=settings.gateway_url, timeout=settings.gateway_timeout_s
    ) as client:
        gateway = PaymentGateway(client)
        yield PaymentDeps(
            transactions=platform.transactions, catalog=load_catalog(),
            effects=(effects.charges(gateway, settings.retry()),
                     effects.refunds(gateway, settings.retry())))


SPEC = ServiceSpec(
    name="payment",
    title="Một Cửa — payment",
    description="Online payment of fees (phí, lệ phí) through a payment gateway; cancels or "
                "refunds them when a dossier ends without a result.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    effects=attrgetter("effects"),
)
