"""A dossier ended without a result (withdrawn, refused at intake, stopped): a fee not yet
charged is cancelled, and a paid one is refunded where the procedure's catalog rules say so."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from shared.contracts.events import (
    DossierProcessingStopped,
    DossierRefusedAtIntake,
    DossierSubmitted,
    DossierWithdrawn,
    Envelope,
    PaymentCancelled,
)
from shared.contracts.topics import PAYMENT_EVENTS
from shared.reference.catalog import Catalog
from shared.reference.catalog.errors import UnknownVersionError
from shared.reference.catalog.model import Procedure, RefundCause
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)

DossierEnded = DossierWithdrawn | DossierRefusedAtIntake | DossierProcessingStopped
CAUSES: dict[type[DossierEnded], RefundCause] = {
    DossierWithdrawn: "withdrawn",
    DossierRefusedAtIntake: "refused_at_intake",
    DossierProcessingStopped: "stopped",
}
# Used only for a dossier submitted before payment recorded procedures (nothing to look up).
DEFAULT_REFUND_ON: tuple[RefundCause, ...] = Procedure.model_fields["refund_on"].default


def refund_id_of(payment_id: uuid.UUID) -> uuid.UUID:
    """One refund per payment, stable: the gateway's idempotency key for it."""
    return uuid.uuid5(payment_id, "refund")


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    await uow.conn.execute(
        """INSERT INTO dossier_procedure (dossier_id, procedure_code, catalog_version)
           VALUES ($1, $2, $3) ON CONFLICT (dossier_id) DO NOTHING""",
        envelope.dossier_id, event.procedure_code, event.catalog_version,
    )


async def on_dossier_ended(catalog: Catalog, event: DossierEnded, envelope: Envelope,
                           uow: UnitOfWork) -> None:
    cause = CAUSES[type(event)]
    # FOR UPDATE waits for a charge in flight (the charging step holds this row's lock for
    # its gateway call) and then reads what it committed: cancel, or refund, never neither.
    payment = await uow.conn.fetchrow(
        """SELECT id, dossier_code, amount, status, attempts FROM payment
           WHERE dossier_id = $1 FOR UPDATE""",
        envelope.dossier_id,
    )
    if payment is None:
        return  # a free procedure, or a dossier that never reached acceptance
    if payment["status"] == "requested":
        await _cancel(uow, payment, cause, envelope)
    elif payment["status"] == "completed":
        if cause in await _refund_on(uow, catalog, envelope):
            await _request_refund(uow, payment, cause, envelope)
        else:
            log.info("fee kept: the procedure does not refund", cause=cause)


async def _cancel(uow: UnitOfWork, payment: asyncpg.Record, cause: RefundCause,
                  envelope: Envelope) -> None:
    await uow.conn.execute(
        """UPDATE payment SET status = 'cancelled', ended_because = $2, updated_at = now()
           WHERE id = $1""",
        payment["id"], cause,
    )
    if payment["attempts"] > 0:
        # A failed call may still have reached the bank: daily reconciliation must look.
        log.warning("payment cancelled after a failed gateway attempt",
                    payment_id=str(payment["id"]), attempts=payment["attempts"])
    cancelled = PaymentCancelled(dossier_code=payment["dossier_code"], payment_id=payment["id"],
                                 amount=payment["amount"], cause=cause)
    await uow.record(PAYMENT_EVENTS, Envelope.wrap(
        cancelled, dossier_id=envelope.dossier_id, producer="payment",
        dossier_code=payment["dossier_code"], caused_by=envelope))


async def _request_refund(uow: UnitOfWork, payment: asyncpg.Record, cause: RefundCause,
                          envelope: Envelope) -> None:
    await uow.conn.execute(
        """INSERT INTO refund (id, payment_id, dossier_id, dossier_code, amount, cause,
                               causation_event_id, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (payment_id) DO NOTHING""",
        refund_id_of(payment["id"]), payment["id"], envelope.dossier_id,
        payment["dossier_code"], payment["amount"], cause, envelope.event_id,
        envelope.correlation_id,
    )


async def _refund_on(uow: UnitOfWork, catalog: Catalog,
                     envelope: Envelope) -> tuple[RefundCause, ...]:
    """The refund rule of the catalog version the dossier was received under."""
    row = await uow.conn.fetchrow(
        "SELECT procedure_code, catalog_version FROM dossier_procedure WHERE dossier_id = $1",
        envelope.dossier_id,
    )
    if row is None:
        log.warning("procedure of the dossier unknown, default refund rule applies")
        return DEFAULT_REFUND_ON
    try:
        procedure = catalog.version(row["catalog_version"]).procedure(row["procedure_code"])
    except UnknownVersionError as error:
        raise PermanentError(f"cannot decide the refund: {error}") from error
    if procedure is None:
        raise PermanentError(f"cannot decide the refund: catalog version "
                             f"{row['catalog_version']} has no procedure {row['procedure_code']}")
    return procedure.refund_on
