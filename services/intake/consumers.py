"""What intake consumes: every event about a dossier (its messages' delivery included) joins
its timeline, and portals' submissions arrive on ``portal.submissions`` (the ingress, a
subscription of its own)."""

from __future__ import annotations

from services.intake.deps import IntakeDeps
from services.intake.handlers.timeline import record_in_timeline
from services.intake.ingress import PortalRecord, ingress
from shared.contracts.events import Event
from shared.contracts.topics import (
    DOSSIER_EVENTS,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    POSTAL_EVENTS,
)
from shared.runtime.consumer import Subscription
from shared.runtime.dispatch import Routes


def subscriptions(deps: IntakeDeps) -> Routes:
    """Every event about a dossier, whoever produced it, joins the dossier's timeline."""
    everything = {Event: record_in_timeline}
    return {DOSSIER_EVENTS: everything, PAYMENT_EVENTS: everything, POSTAL_EVENTS: everything,
            NOTIFICATION_EVENTS: everything}


def consumers(deps: IntakeDeps) -> list[Subscription[PortalRecord]]:
    return [ingress(deps)]
