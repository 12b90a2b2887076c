"""Notification's use cases: remember how to reach the applicant, and queue the letter an
event calls for (the table is ``templates.LETTERS``)."""

from __future__ import annotations

from services.notification import repository
from services.notification.domain import Contact, email_id_of
from services.notification.templates import LETTERS
from shared.contracts.events import DossierSubmitted, Envelope, Event
from shared.runtime.outbox import UnitOfWork


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    contact = Contact(dossier_code=event.dossier_code, full_name=event.applicant.full_name,
                      email=event.applicant.email, procedure_name=event.procedure_name)
    await repository.remember_contact(uow.conn, envelope.dossier_id, contact,
                                      event.applicant.phone)


async def queue_letter(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    """Queue the letter for ``event``, once per (event, letter)."""
    letter = LETTERS[type(event)]
    if not letter.applies(event):
        return
    contact = await repository.contact_of(uow.conn, envelope.dossier_id)
    if contact is None:
        raise LookupError(f"no contact known for dossier {envelope.dossier_code}")
    await repository.queue_email(uow.conn, email_id_of(envelope.event_id, letter.template),
                                 contact, letter.template, letter.render(event, contact),
                                 envelope)
