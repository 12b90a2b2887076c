"""Notification's side effect: send the queued emails, a batch per trip to the SMTP thread
(``attempt_many``), each email ending in NotificationSent or, given up, NotificationFailed.
A crash after the server took a batch and before its commit resends that batch (at most
``batch_size`` emails) with the same Message-IDs."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence

import asyncpg

from services.notification import repository
from services.notification.adapters.mailer import Email, Mailer
from shared.contracts.events import NotificationFailed, NotificationSent
from shared.runtime.effects import Done, Effect, Failed, Outcome, Retry
from shared.runtime.logging import mask_email

Row = asyncpg.Record
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def emails(mailer: Mailer, retry: Retry, *, batch_size: int = 50) -> Effect:
    async def send_all(rows: Sequence[Row]) -> list[Outcome]:
        errors = await mailer.send_many([
            Email(message_id=str(row["id"]), to=row["to_address"], subject=row["subject"],
                  body=row["body"]) for row in rows])
        return [sent(row) if error is None else failed(error)
                for row, error in zip(rows, errors, strict=True)]

    async def stamp(conn: asyncpg.Connection, done: Sequence[tuple[Row, Done]]) -> None:
        await repository.stamp_sent(conn, [row["id"] for row, _ in done])

    return Effect(name="email", table="email_message", claim=repository.DUE_EMAILS,
                  attempt_many=send_all, settle=stamp, given_up=email_failed,
                  due_status="pending", done_status="sent", retry=retry, batch_size=batch_size)


def sent(row: Row) -> Done:
    return Done([NotificationSent(dossier_code=row["dossier_code"], channel="email",
                                  template=row["template"],
                                  recipient=mask_email(row["to_address"]))])


def failed(error: Exception) -> Failed:
    """Why an email was not sent, without the address (a reason is logged and published).
    An email that cannot be built (a header with a line break) never will be."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = sorted({f"{code} {text.decode(errors='replace')}"
                          for code, text in error.recipients.values()})
        return Failed(f"{name}: {'; '.join(answers)}")
    if isinstance(error, smtplib.SMTPResponseException):
        return Failed(f"{name}: {error.smtp_code} {error.smtp_error.decode(errors='replace')}")
    reason = _ADDRESS.sub(lambda found: mask_email(found.group()), f"{name}: {error}")
    return Failed(reason, permanent=isinstance(error, ValueError))


def email_failed(row: Row, reason: str, attempts: int) -> NotificationFailed:
    return NotificationFailed(dossier_code=row["dossier_code"], channel="email",
                              template=row["template"], reason=reason, attempts=attempts)
