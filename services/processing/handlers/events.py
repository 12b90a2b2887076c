"""What the events processing follows do to a case: a submission is routed to its department;
the citizen's supplement and withdrawal, the fee paid or finally failed, and the carrier's
delivery move it on. Each runs in the consumer's unit of work, with its inbox row, and the
events it causes take the handled message as their cause."""

from __future__ import annotations

from collections.abc import Callable

from services.processing.deps import Deps
from services.processing.domain.case import Case
from services.processing.handlers.writing import write_transition
from services.processing.repository import cases
from shared.contracts.events import (
    DossierSubmitted,
    Envelope,
    PaymentCompleted,
    PaymentFailed,
    PaymentUnsettled,
    ShipmentDelivered,
    ShipmentStatusChanged,
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
    await write_transition(uow.conn, uow, deps, case, None, deps.now())


async def _move(deps: Deps, envelope: Envelope, uow: UnitOfWork,
                transition: Callable[[Case], None]) -> None:
    """Apply ``transition`` to the dossier the envelope names, locked until commit."""
    case = await cases.load_for_update(uow.conn, envelope.dossier_id)
    if case is None:  # same topic and key as the submission, so it can never come first
        raise PermanentError(f"{envelope.event_type} for unknown dossier "
                             f"{envelope.dossier_code or envelope.dossier_id}")
    before = case.snapshot()
    transition(case)
    await write_transition(uow.conn, uow, deps, case, before, deps.now())


async def on_payment_completed(deps: Deps, event: PaymentCompleted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    await _move(deps, envelope, uow,
                lambda case: case.record_payment(envelope.occurred_at, deps.calendar))


async def on_payment_failed(deps: Deps, event: PaymentFailed, envelope: Envelope,
                            uow: UnitOfWork) -> None:
    detail = {"payment_id": str(event.payment_id), "amount": str(event.amount),
              "attempts": event.attempts}
    await _move(deps, envelope, uow, lambda case: case.record_payment_failure(
        envelope.occurred_at, event.reason, detail))


async def on_payment_unsettled(deps: Deps, event: PaymentUnsettled, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    """On the audit trail only; the consumer's inbox keeps a redelivery from a second line."""
    detail = {"payment_id": str(event.payment_id), "txn_ref": event.txn_ref,
              "attempts": event.attempts}
    await _move(deps, envelope, uow,
                lambda case: case.record_payment_unsettled(event.reason, detail))


async def on_supplement_provided(deps: Deps, event: SupplementProvided, envelope: Envelope,
                                 uow: UnitOfWork) -> None:
    await _move(deps, envelope, uow,
                lambda case: case.record_supplement(event.provided_at, deps.calendar))


async def on_withdrawal_requested(deps: Deps, event: WithdrawalRequested, envelope: Envelope,
                                  uow: UnitOfWork) -> None:
    await _move(deps, envelope, uow, lambda case: case.withdraw(event.reason))


async def on_shipment_delivered(deps: Deps, event: ShipmentDelivered, envelope: Envelope,
                                uow: UnitOfWork) -> None:
    await _move(deps, envelope, uow, lambda case: case.record_delivery())


async def on_shipment_status_changed(deps: Deps, event: ShipmentStatusChanged,
                                     envelope: Envelope, uow: UnitOfWork) -> None:
    detail = {"tracking_code": event.tracking_code, "status": event.status,
              "attempt": event.attempt, "reason": event.reason}
    await _move(deps, envelope, uow, lambda case: case.record_shipment(
        event.status, detail, event.recipient_name))
