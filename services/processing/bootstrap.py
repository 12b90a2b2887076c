"""Processing's composition root: catalog, calendar, officers, tokens, consumers, scanner."""

from __future__ import annotations

import secrets
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from services.processing import handlers
from services.processing.api import router as dossiers_router
from services.processing.auth_api import router as auth_router
from services.processing.deadlines import scan_deadlines
from services.processing.deps import Deps
from services.processing.officers import OfficerDirectory, TokenService
from services.processing.queue_api import router as queue_router
from services.processing.settings import ProcessingSettings
from shared.catalog import load_catalog
from shared.events import (
    DossierSubmitted,
    PaymentCompleted,
    ShipmentDelivered,
    SupplementProvided,
    WithdrawalRequested,
)
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS
from shared.workdays import WorkingCalendar
from shared.worker import drain_forever

log = structlog.get_logger(__name__)
SCAN_BATCH = 100


def officer_directory(settings: ProcessingSettings, department_codes: set[str]
                      ) -> OfficerDirectory:
    if settings.officers_file is not None:
        return OfficerDirectory.from_file(settings.officers_file)
    if settings.environment == "development":
        return OfficerDirectory.development(department_codes)
    return OfficerDirectory([])


async def assemble(runtime: Runtime) -> None:
    settings: ProcessingSettings = runtime.settings
    catalog = load_catalog()
    runtime.state["deps"] = Deps(pool=runtime.pool, calendar=WorkingCalendar.default(),
                                 catalog=catalog,
                                 at_risk_working_days=settings.at_risk_working_days)
    departments = {code for version in catalog.versions for code in version.department_codes}
    runtime.state["officers"] = directory = officer_directory(settings, departments)
    if settings.token_secret is None and settings.environment != "development":
        log.warning("PROCESSING_TOKEN_SECRET is not set: tokens are signed with a random key "
                    "and are valid on this process only")
    secret = (settings.token_secret.get_secret_value() if settings.token_secret
              else secrets.token_urlsafe(32))
    runtime.state["tokens"] = TokenService(secret, settings.token_ttl_s)
    log.info("officer accounts loaded", officers=len(directory),
             source=str(settings.officers_file or settings.environment))


def subscriptions(runtime: Runtime) -> dict[str, dict[Any, Any]]:
    deps: Deps = runtime.state["deps"]
    return {
        DOSSIER_EVENTS: {
            DossierSubmitted: partial(handlers.on_dossier_submitted, deps),
            SupplementProvided: partial(handlers.on_supplement_provided, deps),
            WithdrawalRequested: partial(handlers.on_withdrawal_requested, deps),
        },
        PAYMENT_EVENTS: {PaymentCompleted: partial(handlers.on_payment_completed, deps)},
        POSTAL_EVENTS: {ShipmentDelivered: partial(handlers.on_shipment_delivered, deps)},
    }


async def watch_deadlines(runtime: Runtime) -> None:
    settings: ProcessingSettings = runtime.settings
    step = partial(scan_deadlines, runtime.state["deps"], SCAN_BATCH)
    await drain_forever(runtime.pool, step, channel="processing_deadlines",
                        interval_s=settings.deadline_scan_interval_s, batch_size=SCAN_BATCH)


SPEC = ServiceSpec(
    name="processing",
    title="Một Cửa — processing",
    description="Departments' work queues and the officers' workflow. Officers sign in at "
                "POST /v1/auth/token and send the token as 'Authorization: Bearer <token>'.",
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    routers=[auth_router, queue_router, dossiers_router],
    on_start=[assemble],
    background=[watch_deadlines],
)
