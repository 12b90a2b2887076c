"""Notification's use cases: queue an email at the moments that matter, then send it."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from services.notification import templates
from services.notification.mailer import Email, Mailer
from shared.contracts.events import (
    DossierAccepted,
    DossierDecided,
    DossierSubmitted,
    Envelope,
    NotificationSent,
)
from shared.contracts.topics import NOTIFICATION_EVENTS
from shared.runtime.logging import mask_email
from shared.runtime.outbox import UnitOfWork
from shared.runtime.worker import retry_later

log = structlog.get_logger(__name__)


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    await uow.conn.execute(
        """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone, procedure_name)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id) DO NOTHING""",
        envelope.dossier_id, event.dossier_code, event.applicant.full_name,
        event.applicant.email, event.applicant.phone, event.procedure_name,
    )


async def contact_of(uow: UnitOfWork, envelope: Envelope) -> asyncpg.Record:
    """The applicant's name, email and procedure, kept from the submission."""
    contact = await uow.conn.fetchrow(
        "SELECT full_name, email, procedure_name FROM contact WHERE dossier_id = $1",
        envelope.dossier_id,
    )
    if contact is None:
        raise LookupError(f"no contact known for dossier {envelope.dossier_code}")
    return contact


async def queue_email(uow: UnitOfWork, envelope: Envelope, template: str, to: str,
                 rendered: templates.Rendered) -> None:
    """Queue one email per (event, template): a redelivered event queues nothing new."""
    await uow.conn.execute(
        """INSERT INTO email_message (id, dossier_id, dossier_code, template, to_address,
                                      subject, body, causation_event_id, correlation_id)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO NOTHING""",
        uuid.uuid5(envelope.event_id, template), envelope.dossier_id, envelope.dossier_code,
        template, to, rendered.subject, rendered.body, envelope.event_id,
        envelope.correlation_id,
    )


async def on_dossier_accepted(event: DossierAccepted, envelope: Envelope, uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.accepted(name=contact["full_name"], code=event.dossier_code,
                                  procedure=contact["procedure_name"], due_date=event.due_date,
                                  fee=int(event.fee))
    await queue_email(uow, envelope, "dossier_accepted", contact["email"], rendered)


async def on_dossier_decided(event: DossierDecided, envelope: Envelope, uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.result_ready(name=contact["full_name"], code=event.dossier_code,
                                      procedure=contact["procedure_name"], outcome=event.outcome,
                                      reason=event.reason, return_method=event.return_method)
    await queue_email(uow, envelope, "result_ready", contact["email"], rendered)


async def send_pending_emails(pool: asyncpg.Pool, mailer: Mailer, *, batch_size: int,
                              max_attempts: int) -> int:
    """Send one batch of due emails: all in one trip to the SMTP thread, then each row marked
    by its own outcome (sent, or retried later / given up), in the transaction that claimed
    the rows."""
    async with UnitOfWork(pool, producer="notification") as uow:
        rows = await uow.conn.fetch(
            """SELECT id, dossier_id, dossier_code, template, to_address, subject, body,
                      attempts, causation_event_id, correlation_id FROM email_message
               WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED""",
            batch_size,
        )
        outcomes = await mailer.send_many([
            Email(message_id=str(row["id"]), to=row["to_address"], subject=row["subject"],
                  body=row["body"])
            for row in rows
        ])
        sent = []
        for row, error in zip(rows, outcomes, strict=True):
            if error is None:
                sent.append(row)
            else:
                await retry_later(uow.conn, "email_message", row["id"],
                                  attempts=row["attempts"] + 1, error=error,
                                  max_attempts=max_attempts)
                log.warning("email not sent", dossier_code=row["dossier_code"], error=repr(error))
        if sent:
            await _mark_sent(uow, sent)
        await uow.commit()
    return len(rows)


async def _mark_sent(uow: UnitOfWork, rows: list[asyncpg.Record]) -> None:
    await uow.conn.execute(
        "UPDATE email_message SET status = 'sent', sent_at = now() WHERE id = ANY($1::uuid[])",
        [row["id"] for row in rows],
    )
    for row in rows:
        sent = NotificationSent(dossier_code=row["dossier_code"], channel="email",
                                template=row["template"], recipient=mask_email(row["to_address"]))
        await uow.record(NOTIFICATION_EVENTS, Envelope.wrap(
            sent, dossier_id=row["dossier_id"], producer="notification",
            dossier_code=row["dossier_code"], correlation_id=row["correlation_id"],
            causation_id=row["causation_event_id"],
        ))
