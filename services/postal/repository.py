"""Postal's SQL, named: where each result goes, its shipment, and the shipments' claim."""

from __future__ import annotations

import uuid

import asyncpg

from shared.contracts.events import Envelope

# The side effect's claim ($1 now, $2 batch size; see shared.runtime.effects).
DUE_SHIPMENTS = """SELECT s.id, s.dossier_id, s.dossier_code, s.attempts, s.pending_since,
                          s.causation_event_id, s.correlation_id, r.full_name, r.phone,
                          r.address
                   FROM shipment s JOIN recipient r USING (dossier_id)
                   WHERE s.status = 'pending' AND s.next_attempt_at <= $1
                   ORDER BY s.next_attempt_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED"""


async def remember_recipient(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                             dossier_code: str, name: str, phone: str, address: str) -> None:
    await conn.execute(
        """INSERT INTO recipient (dossier_id, dossier_code, full_name, phone, address)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, dossier_code, name, phone, address)


async def queue_shipment(conn: asyncpg.Connection, shipment_id: uuid.UUID,
                         cause: Envelope) -> bool:
    """Queue the result's shipment to the dossier's recipient; False when it was queued
    already or no recipient is known."""
    return bool(await conn.fetchval(
        """INSERT INTO shipment (id, dossier_id, dossier_code, causation_event_id, correlation_id)
           SELECT $1, dossier_id, dossier_code, $3, $4 FROM recipient WHERE dossier_id = $2
           ON CONFLICT (dossier_id) DO NOTHING RETURNING true""",
        shipment_id, cause.dossier_id, cause.event_id, cause.correlation_id))


async def has_recipient(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM recipient WHERE dossier_id = $1",
                                    dossier_id))
