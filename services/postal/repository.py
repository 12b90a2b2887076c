"""Postal's SQL, named: where each result goes, its shipments and their tracking, the
requests about a parcel, and the side effects' claims."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import asyncpg

from services.postal.domain.tracking import FINAL, Update
from shared.contracts.events import Envelope

# The side effects' claims ($1 now, $2 batch size; see shared.runtime.effects).
DUE_SHIPMENTS = """SELECT s.id, s.dossier_id, s.dossier_code, s.attempts, s.pending_since,
                          s.causation_event_id, s.correlation_id, s.attempt,
                          s.client_order_code, r.full_name, r.phone, r.address,
                          r.postal_address
                   FROM shipment s JOIN recipient r USING (dossier_id)
                   WHERE s.status = 'pending' AND s.next_attempt_at <= $1
                   ORDER BY s.next_attempt_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED"""
DUE_REQUESTS = """SELECT q.id, q.dossier_id, q.dossier_code, q.attempts, q.pending_since,
                         q.causation_event_id, q.correlation_id, q.kind, q.shipment_id,
                         s.tracking_code
                  FROM carrier_request q JOIN shipment s ON s.id = q.shipment_id
                  WHERE q.status = 'pending' AND q.next_attempt_at <= $1
                  ORDER BY q.next_attempt_at LIMIT $2 FOR UPDATE OF q SKIP LOCKED"""
DUE_QUOTES = """SELECT q.id, q.dossier_id, q.dossier_code, q.attempts, q.pending_since,
                       q.causation_event_id, q.correlation_id, q.catalog_amount,
                       r.postal_address, r.dossier_code || '-1' AS client_order_code
                FROM postage_quote q JOIN recipient r USING (dossier_id)
                WHERE q.status = 'pending' AND q.next_attempt_at <= $1
                ORDER BY q.next_attempt_at LIMIT $2 FOR UPDATE OF q SKIP LOCKED"""
_FINAL = sorted(FINAL)


async def remember_recipient(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                             dossier_code: str, name: str, phone: str, address: str,
                             postal_address: str | None, department_code: str) -> None:
    await conn.execute(
        """INSERT INTO recipient (dossier_id, dossier_code, full_name, phone, address,
                                  postal_address, department_code)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, dossier_code, name, phone, address, postal_address, department_code)


async def queue_shipment(conn: asyncpg.Connection, shipment_id: uuid.UUID, attempt: int,
                         client_order_code: str, cause: Envelope) -> bool:
    """Queue the ``attempt``-th shipment of the result to the dossier's recipient; False when
    it was queued already or no recipient is known."""
    return bool(await conn.fetchval(
        """INSERT INTO shipment (id, dossier_id, dossier_code, causation_event_id,
                                 correlation_id, attempt, client_order_code)
           SELECT $1, dossier_id, dossier_code, $3, $4, $5, $6 FROM recipient
           WHERE dossier_id = $2
           ON CONFLICT (dossier_id, attempt) DO NOTHING RETURNING true""",
        shipment_id, cause.dossier_id, cause.event_id, cause.correlation_id, attempt,
        client_order_code))


async def has_recipient(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM recipient WHERE dossier_id = $1",
                                    dossier_id))


async def department_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT department_code FROM recipient WHERE dossier_id = $1", dossier_id)
    return found


async def created(conn: asyncpg.Connection, shipment_id: uuid.UUID, carrier: str,
                  postage: Decimal | None, at: datetime) -> None:
    """The carrier took the order: it is ``ready_to_pick`` (GHN's first state)."""
    await conn.execute(
        """UPDATE shipment SET carrier = $2, postage = $3, carrier_status = 'ready_to_pick',
                               heard_at = $4
           WHERE id = $1 AND carrier_status IS NULL""", shipment_id, carrier, postage, at)


_SHIPMENT = """SELECT s.*, r.department_code FROM shipment s JOIN recipient r USING (dossier_id)
               WHERE {} FOR UPDATE OF s"""


async def by_tracking_code(conn: asyncpg.Connection, tracking_code: str
                           ) -> asyncpg.Record | None:
    return await conn.fetchrow(_SHIPMENT.format("s.tracking_code = $1"), tracking_code)


async def latest_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(_SHIPMENT.format(
        "s.dossier_id = $1 AND s.attempt = (SELECT max(attempt) FROM shipment "
        "WHERE dossier_id = $1)"), dossier_id)


async def record_update(conn: asyncpg.Connection, shipment_id: uuid.UUID, update: Update,
                        applied: bool) -> bool:
    """Keep the update once; False when it was known already (a duplicate)."""
    return bool(await conn.fetchval(
        """INSERT INTO shipment_update (shipment_id, status, changed_at, reason, applied)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        shipment_id, update.status, update.at, update.reason, applied))


async def move(conn: asyncpg.Connection, shipment_id: uuid.UUID, update: Update) -> None:
    await conn.execute(
        """UPDATE shipment SET carrier_status = $2, carrier_status_at = $3,
                               received_by = coalesce($4, received_by), updated_at = now()
           WHERE id = $1""", shipment_id, update.status, update.at, update.recipient_name)


async def heard(conn: asyncpg.Connection, shipment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE shipment SET heard_at = $2 WHERE id = $1", shipment_id, at)


async def stale(conn: asyncpg.Connection, before: datetime, limit: int
                ) -> list[asyncpg.Record]:
    """Shipments on their way that postal heard nothing of, nor asked about, since ``before``;
    locked (others' polls skip them) until the poll's transaction ends."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT s.*, r.department_code FROM shipment s JOIN recipient r USING (dossier_id)
           WHERE s.status = 'created' AND NOT (s.carrier_status = ANY($3::text[]))
             AND greatest(s.heard_at, s.polled_at) < $1
           ORDER BY greatest(s.heard_at, s.polled_at) LIMIT $2
           FOR UPDATE OF s SKIP LOCKED""", before, limit, _FINAL)
    return rows


async def polled(conn: asyncpg.Connection, shipment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE shipment SET polled_at = $2 WHERE id = $1", shipment_id, at)


async def queue_request(conn: asyncpg.Connection, request_id: uuid.UUID, shipment: asyncpg.Record,
                        kind: str, cause: Envelope) -> bool:
    return bool(await conn.fetchval(
        """INSERT INTO carrier_request (id, shipment_id, kind, dossier_id, dossier_code,
                                        causation_event_id, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING true""",
        request_id, shipment["id"], kind, shipment["dossier_id"], shipment["dossier_code"],
        cause.event_id, cause.correlation_id))


async def queue_quote(conn: asyncpg.Connection, quote_id: uuid.UUID, catalog_amount: Decimal,
                      cause: Envelope) -> None:
    """Ask the carrier for the postage; the catalog's figure stands until it answers."""
    await conn.execute(
        """WITH quote AS (
               INSERT INTO postage_quote (id, dossier_id, dossier_code, catalog_amount,
                                          causation_event_id, correlation_id)
               SELECT $1, dossier_id, dossier_code, $2, $3, $4 FROM recipient
               WHERE dossier_id = $5 ON CONFLICT DO NOTHING RETURNING dossier_id)
           UPDATE recipient SET postage = $2, postage_source = 'catalog'
           WHERE dossier_id IN (SELECT dossier_id FROM quote)""",
        quote_id, catalog_amount, cause.event_id, cause.correlation_id, cause.dossier_id)


async def quoted(conn: asyncpg.Connection, dossier_id: uuid.UUID, amount: Decimal) -> None:
    await conn.execute("UPDATE recipient SET postage = $2, postage_source = 'carrier' "
                       "WHERE dossier_id = $1", dossier_id, amount)
