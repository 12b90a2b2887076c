"""What the dossier's events do to its fee: remember each dossier's procedure, request the fee
of an accepted dossier with a link for the citizen, and cancel or refund the fee when the
dossier ends without a result."""

from __future__ import annotations

import secrets

import asyncpg
import structlog

from services.payment.deps import PaymentDeps
from services.payment.domain.fees import (
    CAUSES,
    DEFAULT_REFUND_ON,
    DossierEnded,
    RefundRuleUnknown,
    payment_id_of,
    refund_id_of,
    refund_on,
)
from services.payment.repository import fees
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
    await fees.remember_procedure(uow.conn, envelope.dossier_id, event.procedure_code,
                                  event.catalog_version, event.agency_code,
                                  event.applicant.full_name)


async def on_dossier_accepted(event: DossierAccepted, envelope: Envelope, uow: UnitOfWork, *,
                              deps: PaymentDeps) -> None:
    """The fee, and the link the citizen pays it by: an unguessable token, no secret."""
    if event.fee <= 0:
        return
    payment_id, token = payment_id_of(envelope.dossier_id), secrets.token_urlsafe(24)
    if await fees.request_fee(uow.conn, payment_id, event.dossier_code, event.fee, token,
                              envelope):
        uow.emit(PaymentRequested(dossier_code=event.dossier_code, payment_id=payment_id,
                                  amount=event.fee, pay_url=deps.pay_url(token)))


async def on_dossier_ended(event: DossierEnded, envelope: Envelope, uow: UnitOfWork, *,
                           catalog: Catalog) -> None:
    """Cancel a fee not yet paid (with its open attempts); refund a paid one where the
    catalog says so. The lock on the fee orders this after an IPN being recorded: cancel, or
    refund, never neither (money that arrives after the cancel is refunded by the IPN)."""
    cause = CAUSES[type(event)]
    payment = await fees.lock_payment(uow.conn, envelope.dossier_id)
    if payment is None:
        return  # a free procedure, or a dossier that never reached acceptance
    if payment["status"] == "requested":
        await _cancel(uow, payment, cause)
    elif payment["status"] == "completed":
        if cause in await _refund_rule(uow, catalog, envelope):
            order_id = payment["paid_order_id"]
            await fees.request_refund(
                uow.conn, refund_id_of(order_id or payment["id"]), payment, order_id,
                payment["amount"], cause)
        else:
            log.info("fee kept: the procedure does not refund", cause=cause)


async def _cancel(uow: UnitOfWork, payment: asyncpg.Record, cause: RefundCause) -> None:
    await fees.cancel_payment(uow.conn, payment["id"], cause)
    if payment["orders_made"] > 0:
        # An attempt may still be paid at the bank: its IPN (or querydr) refunds it then.
        log.info("payment cancelled with attempts made", payment_id=str(payment["id"]),
                 orders=payment["orders_made"])
    uow.emit(PaymentCancelled(dossier_code=payment["dossier_code"], payment_id=payment["id"],
                              amount=payment["amount"], cause=cause))


async def _refund_rule(uow: UnitOfWork, catalog: Catalog,
                       envelope: Envelope) -> tuple[RefundCause, ...]:
    row = await fees.procedure_of(uow.conn, envelope.dossier_id)
    if row is None:
        log.warning("procedure of the dossier unknown, default refund rule applies")
        return DEFAULT_REFUND_ON
    try:
        return refund_on(catalog, row["procedure_code"], row["catalog_version"])
    except RefundRuleUnknown as error:
        raise PermanentError(str(error)) from error
