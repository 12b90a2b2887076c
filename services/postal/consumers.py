"""Postal's table of events and the use cases that handle them."""

from __future__ import annotations

from services.postal import handlers
from services.postal.deps import PostalDeps
from shared.contracts.events import DossierDecided, DossierSubmitted, Event
from shared.runtime.dispatch import Handler


def subscriptions(deps: PostalDeps) -> dict[str, dict[type[Event], Handler]]:
    return {DossierSubmitted.topic: {DossierSubmitted: handlers.on_dossier_submitted,
                                     DossierDecided: handlers.on_dossier_decided}}
