"""Postal's composition root."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from operator import attrgetter
from pathlib import Path

import httpx
import structlog

from services.postal import api, effects
from services.postal.adapters.ghn import GhnCarrier
from services.postal.consumers import subscriptions
from services.postal.deps import PostalDeps
from services.postal.handlers import tracking
from services.postal.settings import PostalSettings
from shared.runtime.service import Platform, ServiceSpec

log = structlog.get_logger(__name__)


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[PostalDeps]:
    settings: PostalSettings = platform.settings
    token, shop_id = settings.carrier_credentials()
    async with httpx.AsyncClient(base_url=settings.carrier_url,
                                 timeout=settings.carrier_timeout_s) as client:
        carrier = GhnCarrier(client, token=token, shop_id=shop_id, name=settings.carrier_name)
        yield PostalDeps(
            transactions=platform.transactions, carrier=carrier,
            effects=(effects.shipments(carrier, settings.retry()),
                     effects.requests(carrier, settings.retry()), effects.quotes(carrier)),
            webhook_tokens={settings.carrier_name.lower(): settings.hook_token()},
            poll_after=timedelta(seconds=settings.poll_after_s),
            poll_every_s=settings.poll_every_s)


async def poll_forever(deps: PostalDeps) -> None:
    """The fallback for lost webhooks: every ``POSTAL_POLL_EVERY_S``, ask the carrier about
    the shipments not heard of for ``POSTAL_POLL_AFTER_S``."""
    while True:
        try:
            while await tracking.poll_once(deps):
                pass
        except Exception:
            log.exception("shipment poll failed")
        await asyncio.sleep(deps.poll_every_s)


SPEC = ServiceSpec(
    name="postal",
    title="Một Cửa — postal return",
    description="Returns results by the public postal service (bưu chính công ích): the "
                "carrier's order (GHN v2), its tracking webhooks (a secret path per carrier, "
                "each update confirmed by the carrier's detail), a poll for the silent ones, "
                "redelivery and reshipment.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    routers=[api.router],
    background=[poll_forever],
    effects=attrgetter("effects"),
    errors={tracking.UnknownWebhook: 404, tracking.BadWebhook: 400,
            tracking.NotConfirmed: 409, tracking.CarrierDown: 503},
)
