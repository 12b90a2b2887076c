"""Payment's use cases: remember each dossier's procedure, request the fee of an accepted
dossier, and cancel or refund it when the dossier ends without a result."""

from __future__ import annotations

import asyncpg
import structlog

from services.payment import repository
from services.payment.domain import (
    CAUSES,
    DEFAULT_REFUND_ON,
    DossierEnded,
    RefundRuleUnknown,
    payment_id_of,
    refund_id_of,
    refund_on,
)
from shared.contracts.events import (
    DossierAccepted,
    DossierSubmitted,
    Envelope,
    PaymentCancelled,
    PaymentRequested,
)
from shared.reference.catalog import Catalog
from shared.reference.catalog.model import RefundCause
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    await repository.remember_procedure(uow.conn, envelope.dossier_id, event.procedure_code,
                                        event.catalog_version)


async def on_dossier_accepted(event: DossierAccepted, envelope: Envelope,
                              uow: UnitOfWork) -> None:
    if event.fee <= 0:
        return
    payment_id = payment_id_of(envelope.dossier_id)
    if await repository.request_fee(uow.conn, payment_id, event.dossier_code, event.fee,
                                    envelope):
        uow.emit(PaymentRequested(dossier_code=event.dossier_code, payment_id=payment_id,
                                  amount=event.fee))


async def on_dossier_ended(event: DossierEnded, envelope: Envelope, uow: UnitOfWork, *,
                           catalog: Catalog) -> None:
    """Cancel a fee not yet charged; refund a paid one where the catalog says so. The lock
    on the payment orders this after a charge in flight: cancel, or refund, never neither."""
    cause = CAUSES[type(event)]
    payment = await repository.lock_payment(uow.conn, envelope.dossier_id)
    if payment is None:
        return  # a free procedure, or a dossier that never reached acceptance
    if payment["status"] == "requested":
        await _cancel(uow, payment, cause)
    elif payment["status"] == "completed":
        if cause in await _refund_rule(uow, catalog, envelope):
            await repository.request_refund(uow.conn, refund_id_of(payment["id"]), payment,
                                            cause, envelope)
        else:
            log.info("fee kept: the procedure does not refund", cause=cause)


async def _cancel(uow: UnitOfWork, payment: asyncpg.Record, cause: RefundCause) -> None:
    await repository.cancel_payment(uow.conn, payment["id"], cause)
    if payment["attempts"] > 0 or payment["pending_since"] is not None:
        # A failed or pending call may still have reached the bank: reconciliation must look.
        log.warning("payment cancelled after a gateway attempt without an answer",
                    payment_id=str(payment["id"]), attempts=payment["attempts"])
    uow.emit(PaymentCancelled(dossier_code=payment["dossier_code"], payment_id=payment["id"],
                              amount=payment["amount"], cause=cause))


async def _refund_rule(uow: UnitOfWork, catalog: Catalog,
                       envelope: Envelope) -> tuple[RefundCause, ...]:
    row = await repository.procedure_of(uow.conn, envelope.dossier_id)
    if row is None:
        log.warning("procedure of the dossier unknown, default refund rule applies")
        return DEFAULT_REFUND_ON
    try:
        return refund_on(catalog, row["procedure_code"], row["catalog_version"])
    except RefundRuleUnknown as error:
        raise PermanentError(str(error)) from error
