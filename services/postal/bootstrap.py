"""Postal's composition root."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import httpx

from services.postal.carrier import Carrier
from services.postal.handlers import on_dossier_decided, on_dossier_submitted, ship_pending_results
from services.postal.settings import PostalSettings
from shared.events import DossierDecided, DossierSubmitted
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS
from shared.worker import drain_forever

BATCH = 20


async def ship_results(runtime: Runtime) -> None:
    settings: PostalSettings = runtime.settings
    async with httpx.AsyncClient(
        base_url=settings.carrier_url, timeout=settings.carrier_timeout_s
    ) as client:
        step = partial(ship_pending_results, runtime.pool, Carrier(client), settings.carrier_name,
                       batch_size=BATCH, max_attempts=settings.max_attempts)
        await drain_forever(runtime.pool, step, channel="shipment", batch_size=BATCH)


SPEC = ServiceSpec(
    name="postal",
    title="Một Cửa — postal return",
    description="Returns results by the public postal service (bưu chính công ích).",
    migrations=Path(__file__).parent / "migrations",
    subscriptions=lambda runtime: {
        DOSSIER_EVENTS: {DossierSubmitted: on_dossier_submitted,
                         DossierDecided: on_dossier_decided},
    },
    background=[ship_results],
)
