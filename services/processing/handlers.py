"""Processing's event handlers: route submissions, and follow what citizens, the payment
gateway and the carrier do. Each runs in the consumer's transaction with its inbox row."""

from __future__ import annotations

from services.processing import repository
from services.processing.changes import save
from services.processing.deps import Deps
from services.processing.domain import Case
from shared.contracts.events import (
    DossierSubmitted,
    Envelope,
    PaymentCompleted,
    ShipmentDelivered,
    SupplementProvided,
    WithdrawalRequested,
)
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import UnitOfWork


async def on_dossier_submitted(deps: Deps, event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    """Route the dossier to its department; receive it at once where the catalog allows."""
    terms = deps.terms(event.catalog_version, event.procedure_code)
    case = Case.register(envelope.dossier_id, event, terms, deps.calendar)
    await save(uow.conn, deps, case, None, deps.now(), caused_by=envelope)


async def _load(uow: UnitOfWork, envelope: Envelope) -> Case:
    case = await repository.load_for_update(uow.conn, envelope.dossier_id)
    if case is None:  # same topic and key as the submission, so it can never come first
        raise PermanentError(f"{envelope.event_type} for unknown dossier "
                             f"{envelope.dossier_code or envelope.dossier_id}")
    return case


async def on_payment_completed(deps: Deps, event: PaymentCompleted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    case = await _load(uow, envelope)
    before = case.snapshot()
    case.record_payment(envelope.occurred_at, deps.calendar)
    await save(uow.conn, deps, case, before, deps.now(), caused_by=envelope)


async def on_supplement_provided(deps: Deps, event: SupplementProvided, envelope: Envelope,
                                 uow: UnitOfWork) -> None:
    case = await _load(uow, envelope)
    before = case.snapshot()
    case.record_supplement(event.provided_at, deps.calendar)
    await save(uow.conn, deps, case, before, deps.now(), caused_by=envelope)


async def on_withdrawal_requested(deps: Deps, event: WithdrawalRequested, envelope: Envelope,
                                  uow: UnitOfWork) -> None:
    case = await _load(uow, envelope)
    before = case.snapshot()
    case.withdraw(event.reason)
    await save(uow.conn, deps, case, before, deps.now(), caused_by=envelope)


async def on_shipment_delivered(deps: Deps, event: ShipmentDelivered, envelope: Envelope,
                                uow: UnitOfWork) -> None:
    case = await _load(uow, envelope)
    before = case.snapshot()
    case.record_delivery()
    await save(uow.conn, deps, case, before, deps.now(), caused_by=envelope)
