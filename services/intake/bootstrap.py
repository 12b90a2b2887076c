"""Intake's composition root: the only place that reads settings and wires dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from faststream.kafka import KafkaBroker

from services.intake import consumers
from services.intake.adapters.documents import DocumentNotFound, DocumentStore, LocalDocumentStore
from services.intake.adapters.receipts import Receipts
from services.intake.api.body import UploadSlots
from services.intake.api.catalog import router as catalog
from services.intake.api.citizen import router as citizen_pages
from services.intake.api.citizen_portal import router as citizen_portal
from services.intake.api.dossiers import router as dossiers
from services.intake.api.forms import router as forms
from services.intake.api.limiter import TrackingLimiter
from services.intake.api.tracking import router as tracking
from services.intake.api.verify import router as verify
from services.intake.deps import IntakeDeps
from services.intake.domain import (
    Conflict,
    DossierNotFound,
    QuotaExceeded,
    StagingExpired,
    SubmissionRefused,
)
from services.intake.handlers.forms import FormUnavailable
from services.intake.handlers.storage import sweep_forever
from services.intake.settings import IntakeSettings
from services.intake.validation import Limits, check_catalog
from shared.contracts.topics import portal_receipts
from shared.reference.calendar import CalendarWatch, calendar_notices, watch_calendar
from shared.reference.catalog import load_catalog
from shared.reference.workdays import WorkingCalendar
from shared.runtime.officer_tokens import TokenService
from shared.runtime.outbox import Transactions
from shared.runtime.service import Platform, ServiceSpec, default_topics

SERVICE = "intake"
ERRORS: dict[type[Exception], int] = {
    SubmissionRefused: 422,
    Conflict: 409,
    DossierNotFound: 404,
    DocumentNotFound: 404,
    QuotaExceeded: 429,
    StagingExpired: 503,
    FormUnavailable: 404,
}


def document_store(settings: IntakeSettings) -> DocumentStore:
    if settings.document_store == "s3":
        from services.intake.adapters.document_s3 import (
            S3DocumentStore,  # boto3 loads only when used
        )

        return S3DocumentStore(settings.s3_bucket, prefix=settings.s3_prefix,
                               endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
    return LocalDocumentStore(settings.document_dir)


def build_deps(settings: IntakeSettings, pool: asyncpg.Pool, broker: KafkaBroker) -> IntakeDeps:
    catalog = load_catalog()
    limits = Limits(settings.max_document_bytes, settings.max_dossier_bytes)
    check_catalog(catalog, limits)  # before anything opens: a disagreement stops the start
    calendar = WorkingCalendar.default()  # validated here: a bad override file stops the start
    return IntakeDeps(
        pool=pool,
        transactions=Transactions(pool, SERVICE),
        catalog=catalog,
        calendar=calendar,
        calendar_watch=CalendarWatch(calendar, horizon_days=settings.calendar_warning_days,
                                     interval_s=settings.calendar_check_interval_s),
        documents=document_store(settings),
        limits=limits,
        portal_keys=settings.portal_keys(),
        tracking_limiter=TrackingLimiter(pool, settings.tracking_rate_limit,
                                         settings.tracking_code_rate_limit,
                                         trusted_proxies=settings.trusted_proxies),
        receipts=Receipts(broker),
        clock_skew_s=settings.portal_clock_skew_s,
        record_max_age_s=settings.portal_record_max_age_s,
        portal_daily_quota_bytes=settings.portal_daily_quota_bytes,
        staged_document_grace_s=settings.staged_document_grace_s,
        sweep_interval_s=settings.sweep_interval_s,
        uploads=UploadSlots(settings.upload_slots_per_portal, settings.large_upload_bytes),
        max_json_body_bytes=settings.max_json_body_bytes,
        public_url=settings.citizen_url(),
        officer_tokens=TokenService(settings.officer_token_secret.get_secret_value(), 900)
        if settings.officer_token_secret else None,
    )


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[IntakeDeps]:
    yield build_deps(platform.settings, platform.pool, platform.broker)


def topics(settings: IntakeSettings) -> list[str]:
    """The system's topics, and a receipts topic for each configured portal."""
    return [*default_topics(settings), *(portal_receipts(p) for p in settings.portal_keys())]


SPEC = ServiceSpec(
    name=SERVICE,
    title="Một Cửa — intake",
    description="Portals submit dossiers here (HTTP, signed; or Kafka); citizens track them.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=consumers.subscriptions,
    consumers=consumers.consumers,
    routers=[dossiers, catalog, tracking, forms, citizen_portal, citizen_pages, verify],
    background=[sweep_forever, watch_calendar],
    errors=ERRORS,
    notices=calendar_notices,
    topics=topics,
)
