"""Postal's rules, no I/O: which results go by post, and the one shipment of each."""

from __future__ import annotations

import uuid

from shared.contracts.events import DossierDecided, DossierSubmitted


def returns_by_post(event: DossierSubmitted | DossierDecided) -> bool:
    if isinstance(event, DossierSubmitted):
        return event.return_method == "postal" and bool(event.postal_address)
    return event.return_method == "postal"


def shipment_id_of(dossier_id: uuid.UUID) -> uuid.UUID:
    """One shipment of the result per dossier, stable: the carrier's idempotency key."""
    return uuid.uuid5(dossier_id, "result-shipment")
