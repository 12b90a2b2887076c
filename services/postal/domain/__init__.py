"""Postal's rules, no I/O: which results go by post, each shipment's keys, the parcel's
tracking (``tracking``) and the carrier's parcel numbers (``s10``)."""

from __future__ import annotations

import uuid

from shared.contracts.events import DossierDecided, DossierSubmitted, PostalAddress


def returns_by_post(event: DossierSubmitted | DossierDecided) -> bool:
    if isinstance(event, DossierSubmitted):
        return event.return_method == "postal" and bool(event.postal_address)
    return event.return_method == "postal"


def shipment_id_of(dossier_id: uuid.UUID, attempt: int = 1) -> uuid.UUID:
    """The ``attempt``-th shipment of the dossier's result, stable (the first keeps the id it
    had before reshipment existed)."""
    name = "result-shipment" if attempt == 1 else f"result-shipment-{attempt}"
    return uuid.uuid5(dossier_id, name)


def client_order_code(dossier_code: str, attempt: int) -> str:
    """Our code for the order at the carrier, its idempotency key: the dossier's code and the
    attempt (``VTH-250123-0001-1``, then ``-2`` for the result shipped again). At most 50
    characters, as GHN allows (a dossier code has at most 28)."""
    return f"{dossier_code}-{attempt}"


def address_of(stored: str | PostalAddress) -> PostalAddress | None:
    """The structured address, or None for a one-line address from before issue 12 (the
    carrier needs the ward and province apart: such a shipment fails with its reason)."""
    return stored if isinstance(stored, PostalAddress) else None
