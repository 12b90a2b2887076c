"""Postal's use cases on events: remember where a result goes, queue its shipment once
decided, and act on the citizen's choice when a parcel could not be delivered."""

from __future__ import annotations

import uuid
from decimal import Decimal

import structlog

from services.postal import repository
from services.postal.deps import PostalDeps
from services.postal.domain import client_order_code, returns_by_post, shipment_id_of
from services.postal.domain.tracking import REDELIVERABLE
from shared.contracts.events import (
    DossierDecided,
    DossierSubmitted,
    Envelope,
    PostalAddress,
    RedeliveryRequested,
)
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)


async def on_dossier_submitted(deps: PostalDeps, event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    if not returns_by_post(event):
        return
    address = event.postal_address
    assert address is not None  # returns_by_post checked it
    structured = address if isinstance(address, PostalAddress) else None
    await repository.remember_recipient(
        uow.conn, envelope.dossier_id, event.dossier_code,
        structured.recipient_name if structured else event.applicant.full_name,
        structured.phone if structured else event.applicant.phone,
        structured.one_line() if structured else str(address),
        structured.model_dump_json() if structured else None, event.department_code)
    await repository.queue_quote(uow.conn, uuid.uuid5(envelope.dossier_id, "postage"),
                                 catalog_postage(deps, event), envelope)


def catalog_postage(deps: PostalDeps, event: DossierSubmitted) -> Decimal:
    """The catalog's postage for the procedure, in the version the dossier was filed under."""
    try:
        procedure = deps.catalog.version(event.catalog_version).procedure(event.procedure_code)
    except (LookupError, ValueError):
        procedure = None
    return Decimal(procedure.postage if procedure is not None else 0)


async def on_dossier_decided(deps: PostalDeps, event: DossierDecided, envelope: Envelope,
                             uow: UnitOfWork) -> None:
    if not returns_by_post(event):
        return
    queued = await repository.queue_shipment(uow.conn, shipment_id_of(envelope.dossier_id), 1,
                                             client_order_code(event.dossier_code, 1), envelope)
    if not queued and not await repository.has_recipient(uow.conn, envelope.dossier_id):
        raise LookupError(f"no postal recipient known for {event.dossier_code}")


async def on_redelivery_requested(deps: PostalDeps, event: RedeliveryRequested,
                                  envelope: Envelope, uow: UnitOfWork) -> None:
    """``redeliver``: from ``delivery_fail`` or ``waiting_to_return``, ask the carrier to
    deliver again; once the parcel is ``returned`` to the office, ship it again (a new
    shipment). ``collect_at_office``: bring a parcel still out back to the office. Anything
    else (already delivered, no shipment yet) changes nothing."""
    shipment = await repository.latest_of(uow.conn, envelope.dossier_id)
    state = shipment["carrier_status"] if shipment is not None else None
    if shipment is None or shipment["status"] != "created":
        log.info("redelivery request with no parcel out", choice=event.choice)
        return
    if state in REDELIVERABLE:
        kind = "redeliver" if event.choice == "redeliver" else "return"
        await repository.queue_request(uow.conn, uuid.uuid5(envelope.event_id, kind),
                                       shipment, kind, envelope)
    elif state == "returned" and event.choice == "redeliver":
        again = shipment["attempt"] + 1
        await repository.queue_shipment(uow.conn, shipment_id_of(envelope.dossier_id, again),
                                        again, client_order_code(event.dossier_code, again),
                                        envelope)
    else:
        log.info("redelivery request does not apply", choice=event.choice, state=state)
