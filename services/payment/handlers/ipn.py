"""The gateway's IPN: its word about one order, checked in the order VNPay's contract gives
(checksum 97, order 01, amount 04, already settled 02) before anything changes (00). The fee
and then the order are locked, so two identical IPNs at once give one effect: the second
waits, then finds the order settled (02). A crash after our commit and before our answer is
harmless for the same reason: the gateway's retry answers 02."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from services.payment.adapters.gateway import result_of
from services.payment.deps import PaymentDeps
from services.payment.domain.orders import GatewayResult, settle
from services.payment.handlers.settling import fee_of, order_of, record
from services.payment.repository import fees, orders

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IpnAnswer:
    RspCode: str
    Message: str


CONFIRMED = IpnAnswer("00", "Confirm Success")
NOT_FOUND = IpnAnswer("01", "Order not found")
ALREADY = IpnAnswer("02", "Order already confirmed")
BAD_AMOUNT = IpnAnswer("04", "Invalid amount")
BAD_CHECKSUM = IpnAnswer("97", "Invalid signature")
UNKNOWN = IpnAnswer("99", "Unknown error")


async def on_ipn(params: Mapping[str, str], deps: PaymentDeps) -> IpnAnswer:
    if not deps.vnpay.verify(params):
        log.warning("IPN refused: bad checksum")
        return BAD_CHECKSUM
    try:
        result = result_of(params)
    except (KeyError, ValueError):
        log.warning("IPN refused: signed but incomplete")
        return UNKNOWN
    return await apply_word(result, deps, by="ipn")


async def apply_word(result: GatewayResult, deps: PaymentDeps, *, by: str) -> IpnAnswer:
    """The gateway's word about one order, checked (order, amount, already settled) and
    recorded: the IPN's path, which the daily reconciliation takes too (``by``)."""
    async with deps.transactions() as uow:
        payment_id = await orders.payment_of_order(uow.conn, result.txn_ref)
        fee = payment_id and await fees.lock_fee(uow.conn, payment_id)
        row = fee and await orders.lock_order(uow.conn, result.txn_ref)
        if not fee or not row:
            return NOT_FOUND
        order = order_of(row)
        if result.amount != order.amount:
            log.warning("IPN refused: amount differs", dossier_code=fee["dossier_code"],
                        txn_ref=order.txn_ref)
            return BAD_AMOUNT
        if order.settled:
            return ALREADY
        settlement = settle(fee_of(fee), order, result)
        await record(uow.conn, fee, order, result, settlement, by=by, at=deps.now())
        for event in settlement.events:
            uow.emit(event, dossier_id=fee["dossier_id"], dossier_code=fee["dossier_code"],
                     correlation_id=fee["correlation_id"], causation_id=fee["causation_event_id"])
        await uow.commit()
    log.info("gateway's word recorded", by=by, dossier_code=fee["dossier_code"],
             txn_ref=order.txn_ref, outcome=result.outcome, state=settlement.state)
    return CONFIRMED
