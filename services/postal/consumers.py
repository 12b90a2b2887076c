"""Postal's table of events and the use cases that handle them."""

from __future__ import annotations

from functools import partial

from services.postal.deps import PostalDeps
from services.postal.handlers import events
from shared.contracts.events import DossierDecided, DossierSubmitted, Event, RedeliveryRequested
from shared.runtime.dispatch import Handler


def subscriptions(deps: PostalDeps) -> dict[str, dict[type[Event], Handler]]:
    return {DossierSubmitted.topic: {
        DossierSubmitted: partial(events.on_dossier_submitted, deps),
        DossierDecided: partial(events.on_dossier_decided, deps),
        RedeliveryRequested: partial(events.on_redelivery_requested, deps)}}
