"""Payment's composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from operator import attrgetter
from pathlib import Path

import httpx

from services.payment import api, effects, schedule
from services.payment.adapters.gateway import Merchant, VnpayGateway
from services.payment.consumers import subscriptions
from services.payment.deps import OrderTerms, PaymentDeps, utc_now
from services.payment.settings import PaymentSettings
from shared.reference.catalog import load_catalog
from shared.runtime.service import Platform, ServiceSpec


def order_terms(settings: PaymentSettings) -> OrderTerms:
    return OrderTerms(ttl=timedelta(seconds=settings.order_ttl_s),
                      ttl_by_procedure={code: timedelta(seconds=s)
                                        for code, s in settings.order_ttl_by_procedure.items()},
                      querydr_after=timedelta(seconds=settings.querydr_after_s))


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[PaymentDeps]:
    """One client of the gateway, for the links, the refunds and the querydr checks."""
    settings: PaymentSettings = platform.settings
    tmn_code, secret = settings.merchant()
    merchant = Merchant(tmn_code, secret, f"{settings.base_url}/v1/gateways/vnpay/return",
                        settings.server_ip)
    async with httpx.AsyncClient(base_url=settings.gateway_url,
                                 timeout=settings.gateway_timeout_s) as client:
        gateway = VnpayGateway(client, merchant)
        deps = PaymentDeps(
            transactions=platform.transactions, catalog=load_catalog(), gateway=gateway,
            base_url=settings.base_url, orders=order_terms(settings),
            effects=(effects.refunds(gateway, settings.retry()),
                     effects.checks(gateway, settings.retry())))
        at = schedule.parse_at(settings.reconcile_at)
        await schedule.schedule_previous_day(platform.transactions, utc_now(), at)
        yield replace(deps, effects=(*deps.effects,
                                     schedule.reconciliations(deps, at, settings.retry())))


SPEC = ServiceSpec(
    name="payment",
    title="Một Cửa — payment",
    description="Online payment of fees (phí, lệ phí) through the VNPay gateway: the citizen's "
                "payment link and return page, the gateway's IPN, querydr checks of missed "
                "IPNs, and refunds when a dossier ends without a result.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    routers=[api.router],
    effects=attrgetter("effects"),
)
