"""Our side of the daily reconciliation: the orders the gateway paid, per day and by TxnRef;
and the scheduled runs (claimed by services.payment.schedule)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg


async def paid_between(conn: asyncpg.Connection, start: datetime,
                       end: datetime) -> list[asyncpg.Record]:
    return list(await conn.fetch(
        """SELECT o.txn_ref, p.dossier_code, o.amount, o.transaction_no
           FROM payment_order o JOIN payment p ON p.id = o.payment_id
           WHERE o.state = 'succeeded' AND o.paid_at >= $1 AND o.paid_at < $2
           ORDER BY o.paid_at, o.txn_ref""", start, end))


async def orders_by_ref(conn: asyncpg.Connection,
                        txn_refs: Sequence[str]) -> list[asyncpg.Record]:
    """Orders of these TxnRefs, whatever their state or day, with their dossier."""
    return list(await conn.fetch(
        """SELECT o.txn_ref, o.state, o.amount, o.transaction_no, p.dossier_id, p.dossier_code,
                  p.correlation_id, p.causation_event_id
           FROM payment_order o JOIN payment p ON p.id = o.payment_id
           WHERE o.txn_ref = any($1::text[])""", list(txn_refs)))


async def refunded_between(conn: asyncpg.Connection, start: datetime,
                           end: datetime) -> list[asyncpg.Record]:
    """Our refunds that completed in [start, end), by their order's TxnRef. Completion is when
    the side-effect loop recorded it (``updated_at``): a refund the gateway finished just
    before midnight may land on our next day, and shows as a mismatch on both days."""
    return list(await conn.fetch(
        """SELECT o.txn_ref, r.dossier_code, r.amount, r.gateway_refund_id AS transaction_no
           FROM refund r JOIN payment_order o ON o.id = r.order_id
           WHERE r.status = 'completed' AND r.updated_at >= $1 AND r.updated_at < $2
           ORDER BY r.updated_at, o.txn_ref""", start, end))


async def refunds_by_ref(conn: asyncpg.Connection,
                         txn_refs: Sequence[str]) -> list[asyncpg.Record]:
    """Refunds of the orders of these TxnRefs, whatever their state or day."""
    return list(await conn.fetch(
        """SELECT o.txn_ref, r.status AS refund_status, r.amount,
                  r.gateway_refund_id AS transaction_no, r.dossier_id, r.dossier_code,
                  r.correlation_id, r.causation_event_id
           FROM refund r JOIN payment_order o ON o.id = r.order_id
           WHERE o.txn_ref = any($1::text[])""", list(txn_refs)))


def run_id_of(day: date) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"mot-cua:payment:reconciliation:{day.isoformat()}")


async def schedule_run(conn: asyncpg.Connection, day: date, due_at: datetime) -> None:
    """The run for the settlement of ``day``, due at ``due_at`` (once per day)."""
    await conn.execute(
        """INSERT INTO reconciliation_run (id, settlement_date, next_attempt_at)
           VALUES ($1, $2, $3) ON CONFLICT (settlement_date) DO NOTHING""",
        run_id_of(day), day, due_at)
