"""What the gateway's word about an order writes, whoever brought it (an IPN, a querydr):
the order's state, the fee paid by it, or the refund of money we no longer needed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from services.payment.domain import receipts as receipt
from services.payment.domain.fees import refund_id_of
from services.payment.domain.orders import Fee, GatewayResult, Order, Settlement
from services.payment.repository import fees, orders, receipts

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
        await issue_receipt(conn, fee, order, result, at)
    if settlement.refund_cause is not None:
        log.warning("money taken for a fee no longer waiting: refunded at once",
                    dossier_code=fee["dossier_code"], txn_ref=order.txn_ref,
                    cause=settlement.refund_cause, by=by)
        await fees.request_refund(conn, refund_id_of(order.id), fee, order.id, result.amount,
                                  settlement.refund_cause)


async def issue_receipt(conn: asyncpg.Connection, fee: Mapping[str, Any], order: Order,
                        result: GatewayResult, at: datetime) -> None:
    """The receipt of the fee this order paid, in the same transaction (no personal data in
    the log: the payer's name stays in the table)."""
    payer = await receipts.payer_of(conn, fee["dossier_id"])
    agency = receipt.agency_of(payer and payer["agency_code"], fee["dossier_code"])
    paid_at = result.paid_at or at
    sequence = await receipts.next_number(conn, agency, receipt.year_of(paid_at))
    number = receipt.receipt_number(agency, receipt.year_of(paid_at), sequence)
    await receipts.insert(conn, number, fee, order.id, agency, payer and payer["payer_name"],
                          receipt.lines_of(result.amount, fee.get("postage")), result.amount,
                          result.transaction_no, paid_at)
    log.info("receipt issued", dossier_code=fee["dossier_code"], receipt=number)
