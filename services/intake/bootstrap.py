"""Intake's composition root: the only place that reads settings and wires dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from services.intake.api import router as dossiers
from services.intake.catalog_api import router as catalog
from services.intake.documents import DocumentStore, LocalDocumentStore
from services.intake.handlers import IntakeDeps
from services.intake.ingress import PortalIngress
from services.intake.limiter import TrackingLimiter
from services.intake.settings import IntakeSettings
from services.intake.timeline import record_in_timeline
from services.intake.tracking_api import router as tracking
from services.intake.validation import Limits
from shared.contracts.events import Event
from shared.contracts.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS, portal_receipts
from shared.reference.catalog import load_catalog
from shared.reference.workdays import WorkingCalendar
from shared.runtime.service import Platform, ServiceSpec, default_topics


def document_store(settings: IntakeSettings) -> DocumentStore:
    if settings.document_store == "s3":
        from services.intake.document_s3 import S3DocumentStore  # boto3 loads only when used

        return S3DocumentStore(settings.s3_bucket, prefix=settings.s3_prefix,
                               endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
    return LocalDocumentStore(settings.document_dir)


def build_deps(settings: IntakeSettings, pool: Any) -> IntakeDeps:
    return IntakeDeps(
        pool=pool,
        catalog=load_catalog(),
        calendar=WorkingCalendar.default(),
        documents=document_store(settings),
        limits=Limits(settings.max_document_bytes, settings.max_dossier_bytes),
        portal_keys=settings.portal_keys(),
        clock_skew_s=settings.portal_clock_skew_s,
        tracking_limiter=TrackingLimiter(settings.tracking_rate_limit, settings.client_ip_header),
    )


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[IntakeDeps]:
    settings: IntakeSettings = platform.settings
    deps = build_deps(settings, platform.pool)
    PortalIngress(deps, platform.broker, max_attempts=settings.consumer_max_attempts,
                  backoff_s=settings.consumer_retry_backoff_s,
                  fetch_wait_ms=settings.consumer_fetch_wait_ms).subscribe()
    yield deps


def topics(settings: IntakeSettings) -> list[str]:
    """The system's topics, and a receipts topic for each configured portal."""
    return [*default_topics(settings), *(portal_receipts(p) for p in settings.portal_keys())]


def subscriptions(deps: IntakeDeps) -> dict:
    """Every event about a dossier, whoever produced it, joins the dossier's timeline."""
    everything = {Event: record_in_timeline}
    return {DOSSIER_EVENTS: everything, PAYMENT_EVENTS: everything, POSTAL_EVENTS: everything}


SPEC = ServiceSpec(
    name="intake",
    title="Một Cửa — intake",
    description="Portals submit dossiers here (HTTP, signed; or Kafka); citizens track them.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    routers=[dossiers, catalog, tracking],
    topics=topics,
)
