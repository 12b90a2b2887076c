"""What the gateway's word about an order writes, whoever brought it (an IPN, a querydr):
the order's state, the fee paid by it, or the refund of money we no longer needed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from services.payment.domain.fees import refund_id_of
from services.payment.domain.orders import Fee, GatewayResult, Order, Settlement
from services.payment.repository import fees, orders

log = structlog.get_logger(__name__)


def fee_of(row: asyncpg.Record) -> Fee:
    return Fee(id=row["id"], dossier_code=row["dossier_code"], amount=row["amount"],
               status=row["status"], ended_because=row["ended_because"],
               orders_made=row["orders_made"])


def order_of(row: asyncpg.Record) -> Order:
    return Order(id=row["id"], txn_ref=row["txn_ref"], amount=row["amount"], state=row["state"],
                 settled=row["settled"])


async def record(conn: asyncpg.Connection, fee: Mapping[str, Any], order: Order,
                 result: GatewayResult, settlement: Settlement, *, by: str,
                 at: datetime) -> None:
    await orders.record_word(conn, order.id, result, settlement, by, at)
    if settlement.pays_fee:
        await fees.complete_fee(conn, fee["id"], order.id, result.transaction_no)
    if settlement.refund_cause is not None:
        log.warning("money taken for a fee no longer waiting: refunded at once",
                    dossier_code=fee["dossier_code"], txn_ref=order.txn_ref,
                    cause=settlement.refund_cause, by=by)
        await fees.request_refund(conn, refund_id_of(order.id), fee, order.id, result.amount,
                                  settlement.refund_cause)
