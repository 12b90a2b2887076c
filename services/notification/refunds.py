"""The citizen learns by email that a paid fee went back to them."""

from __future__ import annotations

from services.notification import templates
from services.notification.handlers import contact_of, queue_email
from shared.contracts.events import Envelope, PaymentRefunded
from shared.runtime.outbox import UnitOfWork


async def on_payment_refunded(event: PaymentRefunded, envelope: Envelope,
                              uow: UnitOfWork) -> None:
    contact = await contact_of(uow, envelope)
    rendered = templates.refunded(name=contact["full_name"], code=event.dossier_code,
                                  procedure=contact["procedure_name"], amount=int(event.amount))
    await queue_email(uow, envelope, "fee_refunded", contact["email"], rendered)
