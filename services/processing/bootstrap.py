"""Processing's composition root."""

from __future__ import annotations

from pathlib import Path

from services.processing.api import router
from services.processing.handlers import (
    on_dossier_submitted,
    on_payment_completed,
    on_shipment_delivered,
)
from shared.events import DossierSubmitted, PaymentCompleted, ShipmentDelivered
from shared.service import Runtime, ServiceSpec
from shared.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS


def subscriptions(runtime: Runtime) -> dict:
    return {
        DOSSIER_EVENTS: {DossierSubmitted: on_dossier_submitted},
        PAYMENT_EVENTS: {PaymentCompleted: on_payment_completed},
        POSTAL_EVENTS: {ShipmentDelivered: on_shipment_delivered},
    }


SPEC = ServiceSpec(
    name="processing",
    title="Một Cửa — processing",
    description="Departments' work queues and officers' decisions.",
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    routers=[router],
)
