"""Notification's side effects, one per channel, on the shared loop: each message is claimed,
sent and marked in a transaction of its own (``batch_size=1``), so a crash between the
provider's answer and the commit resends at most the one message in flight, with the same
Message-ID (email) or RequestId (SMS, which eSMS then refuses as a duplicate, code 124).

What a provider's answer means is GOV.UK Notify's status of the message (``domain``):

- email: the SMTP server's 250 is ``delivered`` (the sink, like a recipient's MX, is the last
  hop we see); a 5xx answer is ``permanent-failure`` at once; a 4xx or an unreachable server is
  retried, and ``temporary-failure`` / ``technical-failure`` once attempts run out;
- SMS: CodeResult 100 is only ``sending``; the delivery report (api) says ``delivered`` or
  not; error codes map as ``domain.ESMS_CODES`` says; an SMS whose report never came is
  asked about (``sms_status``, GetSendStatus) and settled the same way.

A final answer is a :class:`Done` with the loop status ``sent`` or ``failed`` and the events
to publish (``NotificationStatusChanged``, and ``NotificationSent`` / ``NotificationFailed``
as before); ``settle`` writes the message's status and the time of the change."""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
import httpx
import structlog

from services.notification import domain, forms, repository
from services.notification.adapters.mailer import Attachment, Mailer
from services.notification.adapters.sms import EsmsGateway
from shared.contracts.events import (
    Event,
    NotificationFailed,
    NotificationSent,
    NotificationStatusChanged,
)
from shared.contracts.types import MessageStatus
from shared.runtime.effects import Done, Effect, Failed, Outcome, Pending, Retry
from shared.runtime.logging import mask_email

Row = asyncpg.Record
log = structlog.get_logger(__name__)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def emails(mailer: Mailer, retry: Retry, *, attach_forms: bool = False) -> Effect:
    """``attach_forms`` (``NOTIFICATION_ATTACH_FORMS``, which bootstrap passes; off unless
    told): print the form a message carries (``forms``) and attach it. The PDF is rendered
    here, in the attempt, in a thread, from the form's data stored with the message: the same
    data renders the same bytes, so a resend after a crash carries the same attachment under
    the same Message-ID. A form that cannot be rendered is a failure of the attempt (retried,
    then given up with the reason), never an email silently sent without it."""

    async def send_one(row: Row) -> Outcome:
        if row["delivery_status"] in domain.FINAL:
            return Done(status="sent")
        stored = repository.attachment_of(row) if attach_forms else None
        files: tuple[Attachment, ...] = ()
        if stored is not None:
            pdf = await asyncio.to_thread(forms.render, stored)
            files = (Attachment(pdf.filename, pdf.content),)
        try:
            await mailer.send(message_id=str(row["id"]), to=row["recipient"],
                              subject=row["subject"], body=row["body"], attachments=files)
        except Exception as error:  # every failure is classified below
            kind, final, reason = smtp_failure(error)
            return failure(row, kind, reason, retry, final=final)
        return Done(status="sent", reference=f"<{row['id']}@motcua.local>",
                    events=[sent(row), changed(row, "delivered", "250 accepted")])

    return Effect(name="email", table="message", claim=repository.DUE_EMAILS,
                  attempt=send_one, settle=settle, given_up=given_up, due_status="pending",
                  done_status="sent", reference_column="provider_id", retry=retry,
                  batch_size=1)


def sms(gateway: EsmsGateway, retry: Retry, *, callback_url: str) -> Effect:
    """``callback_url``: the delivery-report endpoint with its secret token; the message id
    is appended, so a report finds its message even when only a resend's 124 came back.
    Unicode or GSM-7 was decided when the message was written (its ``encoding``)."""

    async def send_one(row: Row) -> Outcome:
        if row["delivery_status"] in domain.FINAL:  # a report came before a resend
            return Done(status="sent")
        try:
            answer = await gateway.send(request_id=str(row["id"]), phone=row["recipient"],
                                        content=row["body"], unicode=row["encoding"] == "ucs2",
                                        callback_url=f"{callback_url}/{row['id']}")
        except (httpx.HTTPError, ValueError) as error:  # down, slow, or not JSON: again later
            return failure(row, "technical", f"{type(error).__name__}: {error}", retry,
                           final=False)
        kind, meaning = domain.esms_code(answer.code)
        reason = f"CodeResult {answer.code}: {meaning}"
        if kind == "accepted":
            return Done(status="sent", reference=answer.sms_id,
                        events=[sent(row), changed(row, "sending", reason)])
        return failure(row, kind, reason, retry, final=kind != "temporary")

    return Effect(name="sms", table="message", claim=repository.DUE_SMS, attempt=send_one,
                  settle=settle, given_up=given_up, due_status="pending", done_status="sent",
                  reference_column="provider_id", retry=retry, batch_size=1)


def sms_status(gateway: EsmsGateway, retry: Retry, *, after_s: float) -> Effect:
    """The delivery report's fallback: an SMS still ``sending`` ``after_s`` after it was
    accepted (its report lost: our edge was down through eSMS's five tries) is asked about
    by its SMSID (GetSendStatus), and every ``after_s`` again while eSMS has not decided.
    What eSMS says is applied as its report would be (``domain.esms_report``, recorded by
    ``settle``): the claim locks the message as a report does and only takes it while
    ``sending``, so the status changes once, a later report changes nothing (200, moved
    false), and a report taken first leaves nothing to ask. The gateway down or not
    knowing yet is asked again later, never counted as a failed attempt; still undecided
    after ``retry.pending_limit`` the asking stops (the SMS stays ``sending``, work status
    ``failed``, NotificationFailed says so)."""

    async def ask(row: Row) -> Outcome:
        try:
            answer = await gateway.status(row["provider_id"])
        except (httpx.HTTPError, ValueError) as error:
            log.warning("sms status query failed", message_id=str(row["id"]),
                        error=type(error).__name__)
            return Pending(recheck_in=after_s)
        report = None if answer.report_status is None else domain.esms_report(
            answer.report_status)
        if report is None:
            return Pending(recheck_in=after_s)
        status, detail = report
        return Done(status="sent", events=[changed(row, status, f"{detail} (GetSendStatus)")])

    # due_status only feeds the backlog gauge (a count by work status): "sent" would count
    # every message ever sent, so it shows the sends still queued, as the sms effect does.
    return Effect(name="sms-status", table="message", claim=repository.sms_sending_for(after_s),
                  attempt=ask, settle=settle, given_up=given_up, due_status="pending",
                  done_status="sent", retry=retry, batch_size=1)


def failure(row: Row, kind: domain.Kind, reason: str, retry: Retry, *, final: bool
            ) -> Outcome:
    """A ``final`` refusal ends the message now; another is retried until its last attempt,
    which ends it as the kind of its last failure (temporary or technical)."""
    if not final and row["attempts"] + 1 < retry.max_attempts:
        return Failed(reason)
    status = domain.failure_status(kind)
    return Done(status="failed", events=[
        NotificationFailed(dossier_code=row["dossier_code"], channel=row["channel"],
                           template=row["template_id"], reason=reason[:500],
                           attempts=row["attempts"] + 1),
        changed(row, status, reason)])


def smtp_failure(error: Exception) -> tuple[domain.Kind, bool, str]:
    """What an SMTP failure means, without the address (the reason is stored and published):
    the reply code says permanent (5xx) or temporary (4xx); a message that cannot be built
    (a header with a line break) never will be; anything else is the server or the network."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = sorted({(code, text.decode(errors="replace"))
                          for code, text in error.recipients.values()})
        kind = domain.smtp_kind(min(code for code, _ in answers)) if answers else "temporary"
        text = "; ".join(f"{c} {t}" for c, t in answers)
        return kind, kind == "permanent", _masked(f"{name}: {text}")
    if isinstance(error, smtplib.SMTPResponseException):
        kind = domain.smtp_kind(error.smtp_code)
        text = error.smtp_error.decode(errors="replace")
        return kind, kind == "permanent", _masked(f"{name}: {error.smtp_code} {text}")
    return "technical", isinstance(error, ValueError), _masked(f"{name}: {error}")


def _masked(reason: str) -> str:
    """A server's answer often repeats the address (``550 <a@b.vn>: no such user``)."""
    return _ADDRESS.sub(lambda found: mask_email(found.group()), reason)


def changed(row: Row, status: MessageStatus, reason: str | None) -> NotificationStatusChanged:
    return NotificationStatusChanged(
        dossier_code=row["dossier_code"], message_id=row["id"], channel=row["channel"],
        template=row["template_id"], template_version=row["template_version"], status=status,
        changed_at=datetime.now(UTC), reason=None if reason is None else reason[:500])


def sent(row: Row) -> NotificationSent:
    return NotificationSent(dossier_code=row["dossier_code"], channel=row["channel"],
                            template=row["template_id"], recipient=mask(row["recipient"]))


def mask(recipient: str) -> str:
    """An address as events and logs may show it: ``b***@example.vn``, ``091*****78``."""
    if "@" in recipient:
        return mask_email(recipient)
    return f"{recipient[:3]}{'*' * max(len(recipient) - 5, 0)}{recipient[-2:]}"


async def settle(conn: asyncpg.Connection, done: Sequence[tuple[Row, Done]]) -> None:
    """The message's Notify status and the time of the change, from the status events."""
    for row, outcome in done:
        for event in outcome.events:
            if isinstance(event, NotificationStatusChanged):
                await repository.record_status(conn, row["id"], event.status, event.changed_at,
                                               event.reason)


def given_up(row: Row, reason: str, attempts: int) -> Event:
    """Reached only when an attempt raised something unforeseen ``max_attempts`` times (every
    provider answer and known failure ends as a Done above, with its status): the message
    stays ``created`` in Notify's terms, its ``last_error`` says why, and the dossier hears."""
    return NotificationFailed(dossier_code=row["dossier_code"], channel=row["channel"],
                              template=row["template_id"], reason=reason[:500],
                              attempts=max(attempts, 1))
