"""What the dossier's events do to its fee: remember each dossier's procedure, request the fee
of an accepted dossier with a link for the citizen, and cancel or refund the fee when the
dossier ends without a result."""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

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
    PostageQuoted,
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
    """The fee, and the link the citizen pays it by: an unguessable token, no secret. A
    postal return's postage is collected with it: a fee accepted before postal's quote
    waits for it (postal always quotes, from the carrier or else the catalog)."""
    if event.fee <= 0:
        return
    postage = Decimal(0)
    if event.return_method == "postal":
        await fees.lock_postage(uow.conn, envelope.dossier_id)
        known = await fees.postage_of(uow.conn, envelope.dossier_id)
        if known is None:
            await fees.hold_for_postage(uow.conn, envelope, event.dossier_code, event.fee)
            return
        postage = known
    await _request_fee(uow, deps, envelope.dossier_id, envelope.event_id,
                       envelope.correlation_id, event.dossier_code, event.fee, postage)


async def _request_fee(uow: UnitOfWork, deps: PaymentDeps, dossier_id: uuid.UUID,
                       causation_event_id: uuid.UUID, correlation_id: uuid.UUID,
                       dossier_code: str, fee: Decimal, postage: Decimal) -> None:
    payment_id, token = payment_id_of(dossier_id), secrets.token_urlsafe(24)
    if await fees.request_fee(uow.conn, payment_id, dossier_code, fee + postage, token,
                              dossier_id, causation_event_id, correlation_id, postage):
        uow.emit(PaymentRequested(dossier_code=dossier_code, payment_id=payment_id,
                                  amount=fee + postage, pay_url=deps.pay_url(token)))


async def on_postage_quoted(event: PostageQuoted, envelope: Envelope, uow: UnitOfWork, *,
                            deps: PaymentDeps) -> None:
    """Keep the postage; request a fee that was waiting for it."""
    await fees.lock_postage(uow.conn, envelope.dossier_id)
    postage, held = await fees.remember_postage(uow.conn, envelope.dossier_id, event.amount,
                                                event.source)
    if held is not None:  # the cause stays the acceptance that asked for the fee
        await _request_fee(uow, deps, envelope.dossier_id, held["causation_event_id"],
                           held["correlation_id"], held["dossier_code"], held["fee"], postage)


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
