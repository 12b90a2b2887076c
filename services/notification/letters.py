"""The letters the office owes the citizen beyond acceptance and result: a supplement
request, an apology with a new date (form 04), a refusal at intake, a stop, a withdrawal."""

from __future__ import annotations

from services.notification import templates
from services.notification.handlers import contact_of, queue_email
from shared.contracts.events import (
    DossierApologyIssued,
    DossierProcessingStopped,
    DossierRefusedAtIntake,
    DossierWithdrawn,
    Envelope,
    SupplementRequested,
)
from shared.runtime.outbox import UnitOfWork


async def on_supplement_requested(event: SupplementRequested, envelope: Envelope,
                                  uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.supplement_requested(
        name=contact["full_name"], code=event.dossier_code, procedure=contact["procedure_name"],
        missing=list(event.missing), reason=event.reason, deadline=event.deadline,
    )
    await queue_email(uow, envelope, "supplement_requested", contact["email"], rendered)


async def on_apology_issued(event: DossierApologyIssued, envelope: Envelope,
                            uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.apology(
        name=contact["full_name"], code=event.dossier_code, procedure=event.procedure_name,
        reason=event.reason, previous_due_date=event.previous_due_date,
        new_due_date=event.new_due_date,
    )
    await queue_email(uow, envelope, "apology_letter", contact["email"], rendered)


async def on_refused_at_intake(event: DossierRefusedAtIntake, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.refused_at_intake(name=contact["full_name"], code=event.dossier_code,
                                           procedure=contact["procedure_name"],
                                           reason=event.reason)
    await queue_email(uow, envelope, "refused_at_intake", contact["email"], rendered)


async def on_processing_stopped(event: DossierProcessingStopped, envelope: Envelope,
                                uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.stopped(name=contact["full_name"], code=event.dossier_code,
                                 procedure=contact["procedure_name"], reason=event.reason)
    await queue_email(uow, envelope, "processing_stopped", contact["email"], rendered)


async def on_withdrawn(event: DossierWithdrawn, envelope: Envelope, uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.withdrawn(name=contact["full_name"], code=event.dossier_code,
                                   procedure=contact["procedure_name"])
    await queue_email(uow, envelope, "withdrawn", contact["email"], rendered)


LETTERS = {
    SupplementRequested: on_supplement_requested,
    DossierApologyIssued: on_apology_issued,
    DossierRefusedAtIntake: on_refused_at_intake,
    DossierProcessingStopped: on_processing_stopped,
    DossierWithdrawn: on_withdrawn,
}
