"""Payment's table of events and the use cases that handle them."""

from __future__ import annotations

from functools import partial

from services.payment.deps import PaymentDeps
from services.payment.domain.fees import CAUSES
from services.payment.handlers import events
from shared.contracts.events import DossierAccepted, DossierSubmitted, Event, PostageQuoted
from shared.runtime.dispatch import Handler


def subscriptions(deps: PaymentDeps) -> dict[str, dict[type[Event], Handler]]:
    on_ended = partial(events.on_dossier_ended, catalog=deps.catalog)
    return {DossierSubmitted.topic: {
        DossierSubmitted: events.on_dossier_submitted,
        DossierAccepted: partial(events.on_dossier_accepted, deps=deps),
        **dict.fromkeys(CAUSES, on_ended),
    }, PostageQuoted.topic: {PostageQuoted: partial(events.on_postage_quoted, deps=deps)}}
