"""Notification's use cases: remember how to reach the applicant (and the fee's link), queue
the messages an event calls for (``letters.LETTERS``), one per channel the applicant chose,
record an SMS delivery report, and preview a template."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from services.notification import domain, forms, repository
from services.notification.deps import NotificationDeps, Writing
from services.notification.domain import Contact, message_id_of
from services.notification.letters import LETTERS, Letter
from services.notification.repository import NewMessage
from services.notification.templating import Rendered, Value, render
from shared.contracts.events import (
    DossierSubmitted,
    Envelope,
    Event,
    NotificationStatusChanged,
    PaymentRequested,
)
from shared.contracts.types import NotificationChannel
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope, uow: UnitOfWork,
                               writing: Writing) -> None:
    """Remember how to reach the applicant, then handle what came before (see
    :func:`release_waiting`)."""
    applicant = event.applicant
    contact = Contact(dossier_code=event.dossier_code, full_name=applicant.full_name,
                      email=applicant.email, procedure_name=event.procedure_name,
                      phone=applicant.phone, channels=applicant.channels,
                      submission=forms.stored_submission(event))
    await repository.remember_contact(uow.conn, envelope.dossier_id, contact)
    await release_waiting(envelope.dossier_id, uow, writing)


async def on_payment_requested(event: PaymentRequested, envelope: Envelope, uow: UnitOfWork,
                               writing: Writing) -> None:
    """Keep the link for a reminder that may come without it, then send the fee request."""
    if not await _contact_known(envelope, uow):
        return
    if event.pay_url is not None:
        await repository.remember_pay_url(uow.conn, envelope.dossier_id, event.pay_url)
    await queue_letter(event, envelope, uow, writing)


async def queue_letter(event: Event, envelope: Envelope, uow: UnitOfWork,
                       writing: Writing) -> None:
    """Queue the messages ``event`` calls for, once per (event, letter, channel, recipient)."""
    contact = await repository.contact_of(uow.conn, envelope.dossier_id)
    if contact is None:
        await _wait_for_contact(envelope, uow)
        return
    for letter in LETTERS[type(event)]:
        if letter.applies(event):
            for message in messages_for(letter, event, envelope, contact, writing):
                await repository.queue_message(uow.conn, message, envelope,
                                               contact.dossier_code)


async def _contact_known(envelope: Envelope, uow: UnitOfWork) -> bool:
    if await repository.contact_of(uow.conn, envelope.dossier_id) is not None:
        return True
    await _wait_for_contact(envelope, uow)
    return False


async def _wait_for_contact(envelope: Envelope, uow: UnitOfWork) -> None:
    """An event read before its dossier's submission: notification reads several topics
    through one group, and nothing orders one topic's records against another's (a fee
    request from payment.events can come before the DossierSubmitted of dossier.events that
    it follows). It waits, in the same transaction, for :func:`release_waiting`."""
    if await repository.wait_for_contact(uow.conn, envelope):
        log.info("event waits for its dossier's submission", event_type=envelope.event_type,
                 dossier_code=envelope.dossier_code)


async def release_waiting(dossier_id: uuid.UUID, uow: UnitOfWork, writing: Writing) -> None:
    """Handle, in the order they came, the events that waited for the dossier's submission,
    each as its own cause."""
    reading = uow.cause
    try:
        for waiting in await repository.take_waiting(uow.conn, dossier_id):
            event = waiting.event()
            uow.cause = waiting
            if isinstance(event, PaymentRequested):
                await on_payment_requested(event, waiting, uow, writing)
            elif event is not None:
                await queue_letter(event, waiting, uow, writing)
            log.info("waiting event handled", event_type=waiting.event_type,
                     dossier_code=waiting.dossier_code)
    finally:
        uow.cause = reading


def messages_for(letter: Letter, event: Event, envelope: Envelope, contact: Contact,
                 writing: Writing) -> list[NewMessage]:
    """The letter's messages: the applicant's chosen channels, or the department approver's
    email (none when no approver address is configured: logged, never guessed)."""
    template = writing.templates.latest(letter.template)
    values = letter.values_of(event, contact)
    rendered = render(template, values, unicode_sms=writing.unicode_sms)
    if letter.audience == "approver":
        department = getattr(event, "department_code", "")
        address = writing.approvers.get(department)
        if address is None:
            log.warning("no approver address for the department", department=department,
                        template=letter.template)
            return []
        return [_message(message_id_of(envelope.event_id, letter.template, "email", address),
                         "email", address, "approver", template.id, template.version, values,
                         rendered)]
    attachment = _form(letter, event, envelope, contact, writing)
    return [_message(message_id_of(envelope.event_id, letter.template, channel), channel,
                     contact.address(channel), "applicant", template.id, template.version,
                     values, rendered, attachment) for channel in contact.chosen_channels()]


def _form(letter: Letter, event: Event, envelope: Envelope, contact: Contact,
          writing: Writing) -> dict[str, Any] | None:
    """The printed form the letter's email attaches, with its data, as stored; None when
    the letter prints none or the submission was not kept (logged)."""
    if letter.form is None:
        return None
    submission = (None if contact.submission is None
                  else forms.Submission.model_validate(contact.submission))
    attachment = forms.form_of(letter.form, event, envelope, dossier_code=contact.dossier_code,
                               full_name=contact.full_name,
                               procedure_name=contact.procedure_name, submission=submission,
                               catalog=writing.catalog, tracking_url=writing.tracking_url)
    if attachment is None:
        log.warning("no form to attach", template=letter.template, form=letter.form,
                    dossier_code=contact.dossier_code)
        return None
    return forms.stored(attachment)


def _message(message_id: uuid.UUID, channel: NotificationChannel, recipient: str,
             audience: str, template_id: str, version: int, values: Mapping[str, Value],
             rendered: Rendered, attachment: dict[str, Any] | None = None) -> NewMessage:
    if channel == "email":
        return NewMessage(message_id, channel, recipient, audience, template_id, version,
                          values, rendered.subject, rendered.email, attachment=attachment)
    return NewMessage(message_id, channel, recipient, audience, template_id, version, values,
                      None, rendered.sms.text, rendered.sms.encoding, rendered.sms.segments)


class UnknownMessage(LookupError):
    """No SMS with this id: a report for a message we never sent."""


async def on_delivery_report(message_id: uuid.UUID, sms_id: str, send_status: str,
                             deps: NotificationDeps) -> bool:
    """An eSMS delivery report (unsigned: the path token let it in). Deduplicated: a
    repeated or late report never moves the message backwards; a waiting one (2) changes
    nothing. Whether the message's status moved."""
    report = domain.esms_report(send_status)
    async with deps.transactions() as uow:
        row = await repository.sms_for_report(uow.conn, message_id)
        if row is None:
            raise UnknownMessage(f"no SMS {message_id}")
        if sms_id:
            await repository.set_provider_id(uow.conn, message_id, sms_id)
        moved = False
        if report is not None:
            at, (status, detail) = datetime.now(UTC), report
            moved = await repository.record_status(uow.conn, message_id, status, at, detail)
            if moved:
                uow.emit(NotificationStatusChanged(
                    dossier_code=row["dossier_code"], message_id=row["id"], channel="sms",
                    template=row["template_id"], template_version=row["template_version"],
                    status=status, changed_at=at, reason=detail),
                    dossier_id=row["dossier_id"], dossier_code=row["dossier_code"],
                    correlation_id=row["correlation_id"], causation_id=row["causation_event_id"])
        await uow.commit()
    log.info("sms delivery report", message_id=str(message_id), send_status=send_status,
             moved=moved)
    return moved


def preview(template_id: str, version: int | None, values: Mapping[str, Value],
            writing: Writing) -> tuple[int, Rendered]:
    """A template rendered with the given values (TemplateError naming what is missing)."""
    templates = writing.templates
    template = (templates.latest(template_id) if version is None
                else templates.get(template_id, version))
    return template.version, render(template, values, unicode_sms=writing.unicode_sms)
