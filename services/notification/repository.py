"""Notification's SQL, named: the applicant's contact, the emails to send and their claim."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from services.notification.domain import Contact, Rendered
from shared.contracts.events import Envelope

# The side effect's claim ($1 now, $2 batch size; see shared.runtime.effects).
DUE_EMAILS = """SELECT id, dossier_id, dossier_code, template, to_address, subject, body,
                       attempts, pending_since, causation_event_id, correlation_id
                FROM email_message
                WHERE status = 'pending' AND next_attempt_at <= $1
                ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED"""


async def remember_contact(conn: asyncpg.Connection, dossier_id: uuid.UUID, contact: Contact,
                           phone: str) -> None:
    await conn.execute(
        """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone, procedure_name)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, contact.dossier_code, contact.full_name, contact.email, phone,
        contact.procedure_name)


async def contact_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> Contact | None:
    row = await conn.fetchrow(
        """SELECT dossier_code, full_name, email, procedure_name FROM contact
           WHERE dossier_id = $1""", dossier_id)
    return None if row is None else Contact(**dict(row))


async def queue_email(conn: asyncpg.Connection, email_id: uuid.UUID, contact: Contact,
                      template: str, rendered: Rendered, cause: Envelope) -> None:
    """Queue one email; an id queued already (a redelivered event) queues nothing."""
    await conn.execute(
        """INSERT INTO email_message (id, dossier_id, dossier_code, template, to_address,
                                      subject, body, causation_event_id, correlation_id)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO NOTHING""",
        email_id, cause.dossier_id, contact.dossier_code, template, contact.email,
        rendered.subject, rendered.body, cause.event_id, cause.correlation_id)


async def stamp_sent(conn: asyncpg.Connection, email_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute("UPDATE email_message SET sent_at = now() WHERE id = any($1::uuid[])",
                       list(email_ids))
