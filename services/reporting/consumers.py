"""Reporting reads every event of every topic that tells a dossier's story (the department
work queues repeat dossier.events, so they are not read): one handler for all of them."""

from __future__ import annotations

from services.reporting.deps import ReportingDeps
from services.reporting.handlers import events
from shared.contracts.events import Event
from shared.contracts.topics import (
    DOSSIER_EVENTS,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    POSTAL_EVENTS,
)
from shared.runtime.dispatch import Handler

TOPICS = (DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS, NOTIFICATION_EVENTS)


def subscriptions(deps: ReportingDeps | None = None) -> dict[str, dict[type[Event], Handler]]:
    """Every type of each topic (the base ``Event`` key), unknown types included: the read
    model keeps them, and a later build may know how to count them."""
    return {topic: {Event: events.on_event} for topic in TOPICS}
