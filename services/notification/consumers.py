"""Notification's table of events and the use cases that handle them: the submission is
remembered, and every event with a letter in ``templates.LETTERS`` queues it."""

from __future__ import annotations

from services.notification import handlers
from services.notification.deps import NotificationDeps
from services.notification.templates import LETTERS
from shared.contracts.events import DossierSubmitted, Event
from shared.runtime.dispatch import Handler

HANDLERS: dict[type[Event], Handler] = {
    DossierSubmitted: handlers.on_dossier_submitted,
    **dict.fromkeys(LETTERS, handlers.queue_letter),
}


def subscriptions(deps: NotificationDeps) -> dict[str, dict[type[Event], Handler]]:
    """``HANDLERS`` by topic (each event's class knows its own)."""
    routes: dict[str, dict[type[Event], Handler]] = {}
    for event_type, handler in HANDLERS.items():
        routes.setdefault(event_type.topic, {})[event_type] = handler
    return routes
