"""Intake's composition root: the only place that reads settings and wires dependencies."""

from __future__ import annotations

from pathlib import Path

from shared.workdays import WorkingCalendar

from services.intake.api import router
from services.intake.documents import LocalDocumentStore
from services.intake.handlers import IntakeDeps, record_in_timeline
from services.intake.settings import IntakeSettings
from shared.catalog import load_catalog
from shared.events import (
    DossierAccepted,
    DossierDecided,
    DossierProcessingStarted,
    DossierResultReturned,
    PaymentCompleted,
    PaymentRequested,
    ShipmentCreated,
    ShipmentDelivered,
)
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS


async def wire(runtime: Runtime) -> None:
    settings: IntakeSettings = runtime.settings
    runtime.state["deps"] = IntakeDeps(
        pool=runtime.pool,
        catalog=load_catalog(),
        calendar=WorkingCalendar.default(),
        documents=LocalDocumentStore(settings.document_dir),
        max_document_bytes=settings.max_document_bytes,
        max_dossier_bytes=settings.max_dossier_bytes,
    )


def subscriptions(runtime: Runtime) -> dict:
    timeline = record_in_timeline
    return {
        DOSSIER_EVENTS: {
            DossierAccepted: timeline,
            DossierProcessingStarted: timeline,
            DossierDecided: timeline,
            DossierResultReturned: timeline,
        },
        PAYMENT_EVENTS: {PaymentRequested: timeline, PaymentCompleted: timeline},
        POSTAL_EVENTS: {ShipmentCreated: timeline, ShipmentDelivered: timeline},
    }


SPEC = ServiceSpec(
    name="intake",
    title="Một Cửa — intake",
    description="Portals submit dossiers here; citizens and portals follow them.",
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    routers=[router],
    on_start=[wire],
)
