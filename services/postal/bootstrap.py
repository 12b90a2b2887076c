"""Postal's composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import asyncpg
import httpx

from services.postal.carrier import Carrier
from services.postal.handlers import on_dossier_decided, on_dossier_submitted, ship_pending_results
from services.postal.settings import PostalSettings
from shared.contracts.events import DossierDecided, DossierSubmitted
from shared.contracts.topics import DOSSIER_EVENTS
from shared.runtime.service import Platform, ServiceSpec
from shared.runtime.worker import drain_forever

BATCH = 20


@dataclass(frozen=True)
class PostalDeps:
    pool: asyncpg.Pool
    carrier: Carrier
    carrier_name: str
    max_attempts: int


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[PostalDeps]:
    settings: PostalSettings = platform.settings
    async with httpx.AsyncClient(
        base_url=settings.carrier_url, timeout=settings.carrier_timeout_s
    ) as client:
        yield PostalDeps(pool=platform.pool, carrier=Carrier(client),
                         carrier_name=settings.carrier_name, max_attempts=settings.max_attempts)


async def ship_results(deps: PostalDeps) -> None:
    step = partial(ship_pending_results, deps.pool, deps.carrier, deps.carrier_name,
                   batch_size=BATCH, max_attempts=deps.max_attempts)
    await drain_forever(deps.pool, step, channel="shipment", batch_size=BATCH)


SPEC = ServiceSpec(
    name="postal",
    title="Một Cửa — postal return",
    description="Returns results by the public postal service (bưu chính công ích).",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=lambda deps: {
        DOSSIER_EVENTS: {DossierSubmitted: on_dossier_submitted,
                         DossierDecided: on_dossier_decided},
    },
    background=[ship_results],
)
