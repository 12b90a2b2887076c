"""The attempts to pay a fee (orders) and their querydr checks."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.payment.domain.orders import GatewayResult, Settlement

# The checks' claim ($1 now, $2 batch size; see shared.runtime.effects). It locks the order
# and its fee too, skipping any that an IPN holds: that IPN settles it, and the check finds
# nothing left to do.
DUE_CHECKS = """SELECT c.id, c.dossier_id, c.dossier_code, c.attempts, c.pending_since,
                        c.causation_event_id, c.correlation_id, o.txn_ref,
                        o.amount AS order_amount, o.state, o.created_at AS ordered_at,
                        o.settled_at IS NOT NULL AS settled, o.payment_id,
                        p.dossier_code AS fee_code, p.amount AS fee_amount,
                        p.status AS fee_status, p.ended_because,
                        (SELECT count(*) FROM payment_order n
                         WHERE n.payment_id = p.id) AS orders_made
                 FROM order_check c JOIN payment_order o ON o.id = c.id
                      JOIN payment p ON p.id = o.payment_id
                 WHERE c.status = 'scheduled' AND c.next_attempt_at <= $1
                 ORDER BY c.next_attempt_at LIMIT $2
                 FOR UPDATE OF c, o, p SKIP LOCKED"""
ORDER_COLUMNS = """id, payment_id, txn_ref, amount, state, finished, created_at, expires_at,
                   settled_at IS NOT NULL AS settled, response_code, transaction_status"""


async def supersede_orders(conn: asyncpg.Connection, payment_id: uuid.UUID) -> None:
    """A new attempt replaces the unfinished ones (money taken on them later is not lost:
    see domain.orders.settle)."""
    await conn.execute(
        """UPDATE payment_order SET state = 'cancelled', updated_at = now()
           WHERE payment_id = $1 AND NOT finished""", payment_id)


async def create_order(conn: asyncpg.Connection, order_id: uuid.UUID, fee: asyncpg.Record,
                       txn_ref: str, created_at: datetime, expires_at: datetime,
                       check_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO payment_order (id, payment_id, txn_ref, amount, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        order_id, fee["id"], txn_ref, fee["amount"], created_at, expires_at)
    await conn.execute(
        """INSERT INTO order_check (id, dossier_id, dossier_code, next_attempt_at,
                                    causation_event_id, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        order_id, fee["dossier_id"], fee["dossier_code"], check_at, fee["causation_event_id"],
        fee["correlation_id"])


async def payment_of_order(conn: asyncpg.Connection, txn_ref: str) -> uuid.UUID | None:
    value: uuid.UUID | None = await conn.fetchval(
        "SELECT payment_id FROM payment_order WHERE txn_ref = $1", txn_ref)
    return value


async def lock_order(conn: asyncpg.Connection, txn_ref: str) -> asyncpg.Record | None:
    """The order, locked (after its fee: every writer locks the fee first)."""
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM payment_order WHERE txn_ref = $1 FOR UPDATE",  # noqa: S608
        txn_ref)


async def order(conn: asyncpg.Connection, txn_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {ORDER_COLUMNS} FROM payment_order WHERE txn_ref = $1", txn_ref)  # noqa: S608


async def record_word(conn: asyncpg.Connection, order_id: uuid.UUID, result: GatewayResult,
                      settlement: Settlement, by: str, at: datetime) -> None:
    """What the gateway said about the order; a final word settles it, and its check is no
    longer needed."""
    await conn.execute(
        """UPDATE payment_order
           SET state = $2, response_code = $3, transaction_status = $4,
               transaction_no = coalesce($5, transaction_no), bank_code = coalesce($6, bank_code),
               paid_at = coalesce($7, paid_at),
               settled_by = CASE WHEN $8 THEN $9 ELSE settled_by END,
               settled_at = CASE WHEN $8 THEN $10 ELSE settled_at END, updated_at = $10
           WHERE id = $1""",
        order_id, settlement.state, result.response_code, result.transaction_status,
        result.transaction_no, result.bank_code, result.paid_at, settlement.final, by, at)
    if settlement.final:
        await conn.execute(
            """UPDATE order_check SET status = 'unneeded', updated_at = $2
               WHERE id = $1 AND status = 'scheduled'""", order_id, at)


async def expire_order(conn: asyncpg.Connection, order_id: uuid.UUID, at: datetime) -> None:
    """The gateway never heard of it, and its time is over."""
    await conn.execute(
        """UPDATE payment_order SET state = 'expired', updated_at = $2
           WHERE id = $1 AND NOT finished""", order_id, at)
