"""Postal's use cases: remember where a result goes, and queue its shipment once decided."""

from __future__ import annotations

from services.postal import repository
from services.postal.domain import returns_by_post, shipment_id_of
from shared.contracts.events import DossierDecided, DossierSubmitted, Envelope
from shared.runtime.outbox import UnitOfWork


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    if not returns_by_post(event):
        return
    assert event.postal_address is not None  # returns_by_post checked it
    await repository.remember_recipient(uow.conn, envelope.dossier_id, event.dossier_code,
                                        event.applicant.full_name, event.applicant.phone,
                                        event.postal_address)


async def on_dossier_decided(event: DossierDecided, envelope: Envelope, uow: UnitOfWork) -> None:
    if not returns_by_post(event):
        return
    queued = await repository.queue_shipment(uow.conn, shipment_id_of(envelope.dossier_id),
                                             envelope)
    if not queued and not await repository.has_recipient(uow.conn, envelope.dossier_id):
        raise LookupError(f"no postal recipient known for {event.dossier_code}")
