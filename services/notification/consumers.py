"""Notification's table of events and the use cases that handle them: the submission is
remembered, and every event with letters in ``letters.LETTERS`` queues them."""

from __future__ import annotations

from functools import partial

from services.notification import handlers
from services.notification.deps import NotificationDeps
from services.notification.letters import LETTERS
from shared.contracts.events import DossierSubmitted, Event, PaymentRequested
from shared.runtime.dispatch import Handler


def handlers_of(deps: NotificationDeps) -> dict[type[Event], Handler]:
    queue = partial(handlers.queue_letter, writing=deps.writing)
    return {
        DossierSubmitted: partial(handlers.on_dossier_submitted, writing=deps.writing),
        **dict.fromkeys(LETTERS, queue),
        PaymentRequested: partial(handlers.on_payment_requested, writing=deps.writing),
    }


def subscriptions(deps: NotificationDeps) -> dict[str, dict[type[Event], Handler]]:
    """The handlers by topic (each event's class knows its own)."""
    routes: dict[str, dict[type[Event], Handler]] = {}
    for event_type, handler in handlers_of(deps).items():
        routes.setdefault(event_type.topic, {})[event_type] = handler
    return routes
