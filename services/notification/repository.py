"""Notification's SQL, named: the applicant's contact, the messages and their claims, the
statuses with the time of each, and the officers' and operators' reads."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.notification.domain import Contact
from services.notification.templating import Value
from shared.contracts.events import Envelope
from shared.contracts.types import MessageStatus, NotificationChannel

_CLAIM = """SELECT id, dossier_id, dossier_code, channel, recipient, template_id,
                   template_version, subject, body, encoding, delivery_status, attempts,
                   pending_since, causation_event_id, correlation_id, attachment
            FROM message
            WHERE status = 'pending' AND channel = '{channel}' AND next_attempt_at <= $1
            ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED"""
# The side effects' claims ($1 now, $2 batch size; see shared.runtime.effects).
DUE_EMAILS = _CLAIM.format(channel="email")
DUE_SMS = _CLAIM.format(channel="sms")



def sms_sending_for(after_s: float) -> str:
    """The claim of the SMS status query: accepted SMS (work status ``sent``) still
    ``sending`` ``after_s`` after they were sent or last asked about, with the SMSID to ask
    by. Locked like a delivery report locks its message, so a report and the query never
    record the same SMS at once."""
    return f"""SELECT id, dossier_id, dossier_code, channel, recipient, template_id,
                      template_version, delivery_status, attempts, pending_since,
                      provider_id, causation_event_id, correlation_id
               FROM message
               WHERE status = 'sent' AND channel = 'sms' AND delivery_status = 'sending'
                 AND provider_id IS NOT NULL
                 AND greatest(updated_at + make_interval(secs => {float(after_s)!r}),
                              next_attempt_at) <= $1
               ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED"""  # noqa: S608 - a float


_BEFORE: dict[str, list[str]] = {"sending": ["created"]}
"""The statuses a message may move to each status from (default: any but a final one), so a
late or repeated report never moves a message backwards."""
_NOT_FINAL = ["created", "sending"]


@dataclass(frozen=True)
class NewMessage:
    id: uuid.UUID
    channel: NotificationChannel
    recipient: str
    audience: str
    template_id: str
    template_version: int
    values: Mapping[str, Value]
    subject: str | None
    body: str
    encoding: str | None = None
    segments: int | None = None
    attachment: Mapping[str, Any] | None = None
    """The form the email attaches, with its data (``forms.stored``)."""


async def remember_contact(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                           contact: Contact) -> None:
    await conn.execute(
        """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone,
                                procedure_name, channels, submission)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)
           ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, contact.dossier_code, contact.full_name, contact.email, contact.phone,
        contact.procedure_name, None if contact.channels is None else list(contact.channels),
        _json(contact.submission))


async def remember_pay_url(conn: asyncpg.Connection, dossier_id: uuid.UUID, url: str) -> None:
    await conn.execute("UPDATE contact SET pay_url = $2 WHERE dossier_id = $1", dossier_id, url)


async def contact_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> Contact | None:
    row = await conn.fetchrow(
        """SELECT dossier_code, full_name, email, procedure_name, phone, channels, pay_url,
                  submission::text AS submission
           FROM contact WHERE dossier_id = $1""", dossier_id)
    if row is None:
        return None
    found = dict(row)
    found["channels"] = None if row["channels"] is None else tuple(row["channels"])
    found["submission"] = None if row["submission"] is None else json.loads(row["submission"])
    return Contact(**found)


async def wait_for_contact(conn: asyncpg.Connection, envelope: Envelope) -> bool:
    """Keep an event that came before its dossier's submission; a redelivery of one kept
    already keeps nothing. Whether it was new."""
    kept = await conn.fetchval(
        """INSERT INTO waiting_event (dossier_id, event_id, envelope)
           VALUES ($1, $2, $3::text::jsonb) ON CONFLICT (event_id) DO NOTHING RETURNING id""",
        envelope.dossier_id, envelope.event_id, envelope.model_dump_json())
    return kept is not None


async def take_waiting(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> list[Envelope]:
    """The dossier's waiting events, in the order they came, removed (in the caller's
    transaction: they are handled in it, or stay)."""
    rows = await conn.fetch(
        """DELETE FROM waiting_event WHERE dossier_id = $1
           RETURNING id, envelope::text AS envelope""", dossier_id)
    return [Envelope.model_validate_json(r["envelope"])
            for r in sorted(rows, key=lambda r: r["id"])]


async def waiting_events(pool: asyncpg.Pool) -> asyncpg.Record:
    """How many events wait for their dossier's submission, and since when (the oldest)."""
    row: asyncpg.Record = await pool.fetchrow(
        "SELECT count(*) AS waiting, min(waiting_since) AS oldest FROM waiting_event")
    return row


async def queue_message(conn: asyncpg.Connection, message: NewMessage, cause: Envelope,
                        dossier_code: str) -> bool:
    """Queue one message (status ``created``); an id queued already (a redelivered event)
    queues nothing. Whether it was new."""
    inserted = await conn.fetchval(
        """INSERT INTO message (id, dossier_id, dossier_code, channel, recipient, audience,
                                template_id, template_version, template_values, subject, body,
                                encoding, segments, causation_event_id, correlation_id,
                                attachment)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::jsonb,$10,$11,$12,$13,$14,$15,$16::text::jsonb)
           ON CONFLICT (id) DO NOTHING RETURNING created_at""",
        message.id, cause.dossier_id, dossier_code, message.channel, message.recipient,
        message.audience, message.template_id, message.template_version,
        json.dumps(dict(message.values), ensure_ascii=False), message.subject, message.body,
        message.encoding, message.segments, cause.event_id, cause.correlation_id,
        _json(message.attachment))
    if inserted is None:
        return False
    await conn.execute("INSERT INTO message_status_change (message_id, status, at) "
                       "VALUES ($1, 'created', $2)", message.id, inserted)
    return True


async def record_status(conn: asyncpg.Connection, message_id: uuid.UUID,
                        status: MessageStatus, at: datetime, detail: str | None) -> bool:
    """Move a message to ``status`` at ``at`` unless it is past it already; whether it moved."""
    moved = await conn.fetchval(
        """UPDATE message SET delivery_status = $2, provider_answer = coalesce($4,
                                provider_answer), updated_at = now()
           WHERE id = $1 AND delivery_status = any($3::text[]) RETURNING id""",
        message_id, status, _BEFORE.get(status, _NOT_FINAL), detail)
    if moved is None:
        return False
    await conn.execute(
        """INSERT INTO message_status_change (message_id, status, at, detail)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""", message_id, status, at, detail)
    return True


async def sms_for_report(conn: asyncpg.Connection, message_id: uuid.UUID) -> asyncpg.Record | None:
    """The SMS a delivery report is about, locked while the report is recorded."""
    return await conn.fetchrow(
        """SELECT id, dossier_id, dossier_code, channel, recipient, template_id,
                  template_version, delivery_status, provider_id, causation_event_id,
                  correlation_id
           FROM message WHERE id = $1 AND channel = 'sms' FOR UPDATE""", message_id)


async def set_provider_id(conn: asyncpg.Connection, message_id: uuid.UUID,
                          provider_id: str) -> None:
    await conn.execute("UPDATE message SET provider_id = coalesce(provider_id, $2) "
                       "WHERE id = $1", message_id, provider_id)


_MESSAGE = """SELECT m.id, m.dossier_code, m.channel, m.recipient, m.audience, m.template_id,
                     m.template_version, m.template_values, m.subject, m.body, m.encoding,
                     m.segments, m.delivery_status, m.provider_id, m.provider_answer,
                     m.attempts, m.last_error, m.created_at, m.updated_at,
                     coalesce(json_agg(json_build_object('status', c.status, 'at', c.at,
                                                         'detail', c.detail) ORDER BY c.at)
                              FILTER (WHERE c.status IS NOT NULL), '[]') AS history
              FROM message m LEFT JOIN message_status_change c ON c.message_id = m.id"""


async def messages_of(pool: asyncpg.Pool, dossier_code: str) -> list[asyncpg.Record]:
    return await pool.fetch(f"{_MESSAGE} WHERE m.dossier_code = $1 GROUP BY m.id "
                            "ORDER BY m.created_at, m.id", dossier_code)


async def message(pool: asyncpg.Pool, message_id: uuid.UUID) -> asyncpg.Record | None:
    return await pool.fetchrow(f"{_MESSAGE} WHERE m.id = $1 GROUP BY m.id", message_id)


def _json(value: Mapping[str, Any] | None) -> str | None:
    """JSON text for a ``$n::text::jsonb`` parameter (whatever codec the pool has)."""
    return None if value is None else json.dumps(dict(value), ensure_ascii=False)


def attachment_of(row: asyncpg.Record) -> dict[str, Any] | None:
    """A claimed message's stored form (decoded whatever codec the pool has)."""
    value = row["attachment"]
    return json.loads(value) if isinstance(value, str) else value
