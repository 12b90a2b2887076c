"""Postal's composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from operator import attrgetter
from pathlib import Path

import httpx

from services.postal import effects
from services.postal.adapters.carrier import Carrier
from services.postal.consumers import subscriptions
from services.postal.deps import PostalDeps
from services.postal.settings import PostalSettings
from shared.runtime.service import Platform, ServiceSpec


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[PostalDeps]:
    settings: PostalSettings = platform.settings
    async with httpx.AsyncClient(
        base_url=settings.carrier_url, timeout=settings.carrier_timeout_s
    ) as client:
        yield PostalDeps(transactions=platform.transactions, effects=(
            effects.shipments(Carrier(client), settings.carrier_name, settings.retry()),))


SPEC = ServiceSpec(
    name="postal",
    title="Một Cửa — postal return",
    description="Returns results by the public postal service (bưu chính công ích).",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    effects=attrgetter("effects"),
)
