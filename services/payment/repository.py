"""Payment's SQL, named: the procedure each dossier was received under, its fee, its refund,
and the claims of the two side effects (charges, refunds)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from shared.contracts.events import Envelope

# The side effects' claims ($1 now, $2 batch size; see shared.runtime.effects).
DUE_CHARGES = """SELECT id, dossier_id, dossier_code, amount, attempts, pending_since,
                        causation_event_id, correlation_id FROM payment
                 WHERE status = 'requested' AND next_attempt_at <= $1
                 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED"""
DUE_REFUNDS = """SELECT r.id, r.payment_id, r.dossier_id, r.dossier_code, r.amount, r.cause,
                        r.attempts, r.pending_since, r.causation_event_id, r.correlation_id,
                        p.gateway_transaction_id
                 FROM refund r JOIN payment p ON p.id = r.payment_id
                 WHERE r.status = 'requested' AND r.next_attempt_at <= $1
                 ORDER BY r.next_attempt_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED"""


async def remember_procedure(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                             procedure_code: str, catalog_version: str) -> None:
    await conn.execute(
        """INSERT INTO dossier_procedure (dossier_id, procedure_code, catalog_version)
           VALUES ($1, $2, $3) ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, procedure_code, catalog_version)


async def procedure_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT procedure_code, catalog_version FROM dossier_procedure WHERE dossier_id = $1",
        dossier_id)


async def request_fee(conn: asyncpg.Connection, payment_id: uuid.UUID, dossier_code: str,
                      amount: Decimal, cause: Envelope) -> bool:
    """Insert the dossier's fee; False when it was requested already."""
    return bool(await conn.fetchval(
        """INSERT INTO payment (id, dossier_id, dossier_code, amount, causation_event_id,
                                correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id) DO NOTHING RETURNING true""",
        payment_id, cause.dossier_id, dossier_code, amount, cause.event_id, cause.correlation_id))


async def lock_payment(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    """The dossier's payment, locked: waits for a charge in flight (the charge holds this
    row's lock through its gateway call) and then reads what it committed."""
    return await conn.fetchrow(
        """SELECT id, dossier_code, amount, status, attempts, pending_since FROM payment
           WHERE dossier_id = $1 FOR UPDATE""", dossier_id)


async def cancel_payment(conn: asyncpg.Connection, payment_id: uuid.UUID, cause: str) -> None:
    await conn.execute(
        """UPDATE payment SET status = 'cancelled', ended_because = $2, updated_at = now()
           WHERE id = $1""", payment_id, cause)


async def request_refund(conn: asyncpg.Connection, refund_id: uuid.UUID,
                         payment: asyncpg.Record, cause: str, by: Envelope) -> None:
    await conn.execute(
        """INSERT INTO refund (id, payment_id, dossier_id, dossier_code, amount, cause,
                               causation_event_id, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (payment_id) DO NOTHING""",
        refund_id, payment["id"], by.dossier_id, payment["dossier_code"], payment["amount"],
        cause, by.event_id, by.correlation_id)


async def mark_refunded(conn: asyncpg.Connection, refund_ids: Sequence[uuid.UUID]) -> None:
    """The payments of these completed refunds went back to the citizen."""
    await conn.execute(
        """UPDATE payment p SET status = 'refunded', ended_because = r.cause, updated_at = now()
           FROM refund r WHERE r.id = any($1::uuid[]) AND p.id = r.payment_id""",
        list(refund_ids))
