"""What processing follows on Kafka: the table event type -> use case. Each event is read
from the topic its class names, through the one consumer group of the service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from services.processing.deps import Deps
from services.processing.handlers import case_file, events
from shared.contracts.events import (
    DossierSubmitted,
    Envelope,
    Event,
    PaymentCompleted,
    PaymentFailed,
    PaymentUnsettled,
    ShipmentDelivered,
    ShipmentStatusChanged,
    SupplementProvided,
    WithdrawalRequested,
)
from shared.runtime.dispatch import Handler
from shared.runtime.outbox import UnitOfWork

UseCase = Callable[[Deps, Any, Envelope, UnitOfWork], Awaitable[None]]

HANDLERS: dict[type[Event], UseCase] = {
    DossierSubmitted: events.on_dossier_submitted,
    SupplementProvided: events.on_supplement_provided,
    WithdrawalRequested: events.on_withdrawal_requested,
    PaymentCompleted: events.on_payment_completed,
    PaymentFailed: events.on_payment_failed,
    PaymentUnsettled: events.on_payment_unsettled,
    ShipmentDelivered: events.on_shipment_delivered,
    ShipmentStatusChanged: events.on_shipment_status_changed,
}



def _along(*use_cases: UseCase) -> UseCase:
    """One event's use cases, in order, in the one unit of work of the message."""
    async def each(deps: Deps, event: Any, envelope: Envelope, uow: UnitOfWork) -> None:
        for use_case in use_cases:
            await use_case(deps, event, envelope, uow)
    return each


# The console's read model (handlers/case_file.py) follows the same events, after the case.
HANDLERS[DossierSubmitted] = _along(HANDLERS[DossierSubmitted], case_file.record_submission)
HANDLERS[SupplementProvided] = _along(HANDLERS[SupplementProvided], case_file.record_supplement)
for _reported in case_file.REPORTS:
    HANDLERS[_reported] = (_along(HANDLERS[_reported], case_file.record_report)
                           if _reported in HANDLERS else case_file.record_report)


def subscriptions(deps: Deps) -> dict[str, dict[type[Event], Handler]]:
    """``HANDLERS`` by topic, each use case given the service's dependencies."""
    routes: dict[str, dict[type[Event], Handler]] = {}
    for event_type, use_case in HANDLERS.items():
        routes.setdefault(event_type.topic, {})[event_type] = partial(use_case, deps)
    return routes
