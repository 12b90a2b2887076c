"""Payment's table of events and the use cases that handle them."""

from __future__ import annotations

from functools import partial

from services.payment import handlers
from services.payment.deps import PaymentDeps
from services.payment.domain import CAUSES
from shared.contracts.events import DossierAccepted, DossierSubmitted, Event
from shared.runtime.dispatch import Handler


def subscriptions(deps: PaymentDeps) -> dict[str, dict[type[Event], Handler]]:
    on_ended = partial(handlers.on_dossier_ended, catalog=deps.catalog)
    return {DossierSubmitted.topic: {
        DossierSubmitted: handlers.on_dossier_submitted,
        DossierAccepted: handlers.on_dossier_accepted,
        **dict.fromkeys(CAUSES, on_ended),
    }}
