"""Intake's composition root: the only place that reads settings and wires dependencies."""

from __future__ import annotations

from pathlib import Path

from services.intake.api import router
from services.intake.documents import LocalDocumentStore
from services.intake.handlers import IntakeDeps, record_in_timeline
from services.intake.settings import IntakeSettings
from shared.catalog import load_catalog
from shared.events import Event
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS
from shared.workdays import WorkingCalendar


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
    """Every event about a dossier, whoever produced it, joins the dossier's timeline."""
    everything = {Event: record_in_timeline}
    return {DOSSIER_EVENTS: everything, PAYMENT_EVENTS: everything, POSTAL_EVENTS: everything}


SPEC = ServiceSpec(
    name="intake",
    title="Một Cửa — intake",
    description="Portals submit dossiers here; citizens and portals follow them.",
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    routers=[router],
    on_start=[wire],
)
