"""The procedure each dossier was received under, its fee, the fee's refunds and their claim."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from shared.contracts.events import Envelope

# The refunds' claim ($1 now, $2 batch size; see shared.runtime.effects): what the gateway
# needs to find the paid order again.
DUE_REFUNDS = """SELECT r.id, r.payment_id, r.order_id, r.dossier_id, r.dossier_code, r.amount,
                        r.cause, r.attempts, r.pending_since, r.causation_event_id,
                        r.correlation_id, o.txn_ref, o.amount AS paid, o.transaction_no,
                        o.created_at AS ordered_at
                 FROM refund r LEFT JOIN payment_order o ON o.id = r.order_id
                 WHERE r.status = 'requested' AND r.next_attempt_at <= $1
                 ORDER BY r.next_attempt_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED"""
FEE_COLUMNS = """p.id, p.dossier_id, p.dossier_code, p.amount, p.status, p.ended_because,
                 p.pay_token, p.paid_order_id, p.causation_event_id, p.correlation_id,
                 p.postage,
                 (SELECT count(*) FROM payment_order n WHERE n.payment_id = p.id) AS orders_made"""


async def remember_procedure(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                             procedure_code: str, catalog_version: str, agency_code: str,
                             payer_name: str) -> None:
    """The dossier's procedure, and its agency and payer for the receipt."""
    await conn.execute(
        """INSERT INTO dossier_procedure (dossier_id, procedure_code, catalog_version,
                                          agency_code, payer_name)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, procedure_code, catalog_version, agency_code, payer_name)


async def procedure_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT procedure_code, catalog_version FROM dossier_procedure WHERE dossier_id = $1",
        dossier_id)


async def request_fee(conn: asyncpg.Connection, payment_id: uuid.UUID, dossier_code: str,
                      amount: Decimal, pay_token: str, dossier_id: uuid.UUID,
                      causation_event_id: uuid.UUID, correlation_id: uuid.UUID,
                      postage: Decimal = Decimal(0)) -> bool:
    """Insert the dossier's fee (``amount``, the postage included) with its link's token;
    False when it was requested already."""
    return bool(await conn.fetchval(
        """INSERT INTO payment (id, dossier_id, dossier_code, amount, pay_token,
                                causation_event_id, correlation_id, postage)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dossier_id) DO NOTHING
           RETURNING true""",
        payment_id, dossier_id, dossier_code, amount, pay_token, causation_event_id,
        correlation_id, postage))


async def lock_postage(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> None:
    """Serialise the fee's request and the postage's arrival for one dossier (they come on
    two topics, maybe to two consumers at once)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
                       str(dossier_id))


async def postage_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> Decimal | None:
    """The postage postal quoted for the dossier, None while it is not known."""
    found: Decimal | None = await conn.fetchval(
        "SELECT amount FROM postage WHERE dossier_id = $1", dossier_id)
    return found


async def hold_for_postage(conn: asyncpg.Connection, cause: Envelope, dossier_code: str,
                           fee: Decimal) -> None:
    await conn.execute(
        """INSERT INTO fee_awaiting_postage (dossier_id, dossier_code, fee, causation_event_id,
                                             correlation_id)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
        cause.dossier_id, dossier_code, fee, cause.event_id, cause.correlation_id)


async def remember_postage(conn: asyncpg.Connection, dossier_id: uuid.UUID, amount: Decimal,
                           source: str) -> tuple[Decimal, asyncpg.Record | None]:
    """Keep the quoted postage (the first quote stands); return it, and the fee that waited
    for it (taken off the waiting list), if any."""
    await conn.execute("INSERT INTO postage (dossier_id, amount, source) VALUES ($1, $2, $3) "
                       "ON CONFLICT DO NOTHING", dossier_id, amount, source)
    kept = await postage_of(conn, dossier_id)
    assert kept is not None
    held = await conn.fetchrow(
        "DELETE FROM fee_awaiting_postage WHERE dossier_id = $1 RETURNING *", dossier_id)
    return kept, held


async def lock_payment(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    """The dossier's fee, locked: an IPN or a querydr settling one of its orders holds the
    same lock, so the end of a dossier acts on what they committed (cancel, or refund)."""
    return await conn.fetchrow(
        f"SELECT {FEE_COLUMNS} FROM payment p WHERE p.dossier_id = $1 FOR UPDATE OF p",  # noqa: S608
        dossier_id)


async def lock_fee(conn: asyncpg.Connection, payment_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {FEE_COLUMNS} FROM payment p WHERE p.id = $1 FOR UPDATE OF p",  # noqa: S608
        payment_id)


async def lock_fee_by_token(conn: asyncpg.Connection, token: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {FEE_COLUMNS} FROM payment p WHERE p.pay_token = $1 FOR UPDATE OF p",  # noqa: S608
        token)


async def cancel_payment(conn: asyncpg.Connection, payment_id: uuid.UUID, cause: str) -> None:
    """The fee will never be paid: its unfinished orders are cancelled with it."""
    await conn.execute(
        """UPDATE payment SET status = 'cancelled', ended_because = $2, updated_at = now()
           WHERE id = $1""", payment_id, cause)
    await conn.execute(
        """UPDATE payment_order SET state = 'cancelled', updated_at = now()
           WHERE payment_id = $1 AND NOT finished""", payment_id)


async def complete_fee(conn: asyncpg.Connection, payment_id: uuid.UUID, order_id: uuid.UUID,
                       transaction_no: str | None) -> None:
    """Paid by this order: the fee's other unfinished orders are superseded."""
    await conn.execute(
        """UPDATE payment SET status = 'completed', paid_order_id = $2,
                              gateway_transaction_id = $3, updated_at = now() WHERE id = $1""",
        payment_id, order_id, transaction_no)
    await conn.execute(
        """UPDATE payment_order SET state = 'cancelled', updated_at = now()
           WHERE payment_id = $1 AND id <> $2 AND NOT finished""", payment_id, order_id)


async def request_refund(conn: asyncpg.Connection, refund_id: uuid.UUID, fee: Mapping[str, Any],
                         order_id: uuid.UUID | None, amount: Decimal, cause: str) -> None:
    """Queue the refund of one paid order (the refund id keeps it to one per order)."""
    await conn.execute(
        """INSERT INTO refund (id, payment_id, order_id, dossier_id, dossier_code, amount, cause,
                               causation_event_id, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING""",
        refund_id, fee["id"], order_id, fee["dossier_id"], fee["dossier_code"], amount, cause,
        fee["causation_event_id"], fee["correlation_id"])


async def mark_refunded(conn: asyncpg.Connection, refund_ids: Sequence[uuid.UUID]) -> None:
    """The fees whose paid order these completed refunds gave back went back to the citizen
    (a refund of money taken twice leaves its fee as it was)."""
    await conn.execute(
        """UPDATE payment p SET status = 'refunded', ended_because = r.cause, updated_at = now()
           FROM refund r WHERE r.id = any($1::uuid[]) AND p.id = r.payment_id
                          AND p.status = 'completed'
                          AND r.order_id IS NOT DISTINCT FROM p.paid_order_id""",
        list(refund_ids))
