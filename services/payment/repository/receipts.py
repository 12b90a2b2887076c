"""Receipts (biên lai): numbered per agency and year, one per paid fee."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

RECEIPT_COLUMNS = """r.number, r.dossier_code, r.agency_code, r.payer_name, r.lines, r.amount,
                     r.transaction_no, r.paid_at, r.cancelled_at, r.cancelled_by,
                     r.cancel_reason"""


async def next_number(conn: asyncpg.Connection, agency_code: str, year: int) -> int:
    """The next number of the agency's year; the row lock keeps the sequence gapless."""
    number: int = await conn.fetchval(
        """INSERT INTO receipt_sequence (agency_code, year, last_number) VALUES ($1, $2, 1)
           ON CONFLICT (agency_code, year)
           DO UPDATE SET last_number = receipt_sequence.last_number + 1
           RETURNING last_number""", agency_code, year)
    return number


async def payer_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT agency_code, payer_name FROM dossier_procedure WHERE dossier_id = $1",
        dossier_id)


async def insert(conn: asyncpg.Connection, number: str, fee: Mapping[str, Any],
                 order_id: uuid.UUID, agency_code: str, payer_name: str | None,
                 lines: Sequence[Mapping[str, Any]], amount: Decimal,
                 transaction_no: str | None, paid_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO receipt (number, payment_id, order_id, dossier_id, dossier_code,
                                agency_code, payer_name, lines, amount, transaction_no, paid_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)
           ON CONFLICT (payment_id) DO NOTHING""",
        number, fee["id"], order_id, fee["dossier_id"], fee["dossier_code"], agency_code,
        payer_name, json.dumps(list(lines), default=str), amount, transaction_no, paid_at)


async def of_dossier(conn: asyncpg.Connection, dossier_code: str) -> asyncpg.Record | None:
    """The receipt of the dossier's paid fee (none once refunded: the money went back); a
    cancelled one too, marked so."""
    return await conn.fetchrow(
        f"""SELECT {RECEIPT_COLUMNS} FROM receipt r JOIN payment p ON p.id = r.payment_id
            WHERE r.dossier_code = $1 AND p.status = 'completed'""",  # noqa: S608
        dossier_code)


async def of_pay_token(conn: asyncpg.Connection, pay_token: str) -> asyncpg.Record | None:
    """The receipt of the paid fee whose citizen's link carries ``pay_token`` (the link is
    the capability: whoever was given it to pay may read what was paid), as
    :func:`of_dossier`."""
    return await conn.fetchrow(
        f"""SELECT {RECEIPT_COLUMNS} FROM receipt r JOIN payment p ON p.id = r.payment_id
            WHERE p.pay_token = $1 AND p.status = 'completed'""",  # noqa: S608
        pay_token)


async def lock(conn: asyncpg.Connection, number: str) -> asyncpg.Record | None:
    """The receipt of that number with what its cancellation event needs, locked."""
    return await conn.fetchrow(
        """SELECT r.number, r.dossier_id, r.dossier_code, r.amount, r.cancelled_at,
                  p.correlation_id, p.causation_event_id
           FROM receipt r JOIN payment p ON p.id = r.payment_id
           WHERE r.number = $1 FOR UPDATE OF r""", number)


async def cancel(conn: asyncpg.Connection, number: str, at: datetime, by: str,
                 reason: str) -> None:
    await conn.execute(
        """UPDATE receipt SET cancelled_at = $2, cancelled_by = $3, cancel_reason = $4
           WHERE number = $1 AND cancelled_at IS NULL""", number, at, by, reason)
