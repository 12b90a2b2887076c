"""Processing's use cases: accept and route dossiers, follow fees and deliveries, decide."""

from __future__ import annotations

import asyncpg

from services.processing import repository
from services.processing.domain import Case
from shared.events import (
    DossierSubmitted,
    Envelope,
    Event,
    PaymentCompleted,
    ShipmentDelivered,
    WorkItemQueued,
    WorkItemStatusChanged,
)
from shared.outbox import UnitOfWork
from shared.status import DossierStatus
from shared.topics import DOSSIER_EVENTS, department_work

SYSTEM = "system"


class ConcurrentChange(Exception):
    """Another officer changed the dossier between read and write."""


async def _publish(uow: UnitOfWork, case: Case, caused_by: Envelope | None) -> None:
    for event in case.events:
        await uow.record(DOSSIER_EVENTS, _wrap(event, case, caused_by))
    case.events.clear()


def _wrap(event: Event, case: Case, caused_by: Envelope | None) -> Envelope:
    return Envelope.wrap(
        event, dossier_id=case.id, producer="processing", dossier_code=case.code,
        caused_by=caused_by,
    )


async def on_dossier_submitted(
    event: DossierSubmitted, envelope: Envelope, uow: UnitOfWork
) -> None:
    case = Case.accept(envelope.dossier_id, event)
    if not await repository.insert(uow.conn, case):
        return
    await repository.audit(uow.conn, case, actor=SYSTEM, action="accept", from_status=None)
    await uow.record(
        department_work(case.department_code),
        _wrap(
            WorkItemQueued(
                dossier_code=case.code,
                department_code=case.department_code,
                procedure_code=case.procedure_code,
                applicant_name=case.applicant_name,
                received_at=case.received_at,
                due_date=case.due_date,
                status=case.status,
                sla_state="paused" if case.status is DossierStatus.AWAITING_FEE else "on_track",
            ),
            case,
            envelope,
        ),
    )
    await _publish(uow, case, envelope)


async def _transition(uow: UnitOfWork, case: Case, *, actor: str, action: str,
                      before: DossierStatus, reason: str | None, caused_by: Envelope | None
                      ) -> None:
    if not await repository.update(uow.conn, case):
        raise ConcurrentChange(f"dossier {case.code} was changed by someone else; reload it")
    if case.status is not before:
        await repository.audit(uow.conn, case, actor=actor, action=action, from_status=before,
                               reason=reason)
        await uow.record(
            department_work(case.department_code),
            _wrap(
                WorkItemStatusChanged(
                    dossier_code=case.code, department_code=case.department_code,
                    status=case.status,
                ),
                case,
                caused_by,
            ),
        )
    await _publish(uow, case, caused_by)


async def on_payment_completed(
    event: PaymentCompleted, envelope: Envelope, uow: UnitOfWork
) -> None:
    case = await repository.load_for_update(uow.conn, envelope.dossier_id)
    if case is None:
        raise LookupError(f"payment for unknown dossier {event.dossier_code}")
    before = case.status
    case.record_payment()
    await _transition(uow, case, actor=SYSTEM, action="fee_paid", before=before, reason=None,
                      caused_by=envelope)


async def on_shipment_delivered(
    event: ShipmentDelivered, envelope: Envelope, uow: UnitOfWork
) -> None:
    case = await repository.load_for_update(uow.conn, envelope.dossier_id)
    if case is None:
        raise LookupError(f"delivery for unknown dossier {event.dossier_code}")
    before = case.status
    case.record_delivery()
    await _transition(uow, case, actor=SYSTEM, action="result_delivered", before=before,
                      reason=None, caused_by=envelope)


async def act_on_dossier(pool: asyncpg.Pool, code: str, action: str, *, actor: str,
                         reason: str | None) -> Case:
    """An officer's action. Raises LookupError, ActionNotAllowed or ConcurrentChange."""
    async with UnitOfWork(pool) as uow:
        case = await repository.load_by_code(uow.conn, code)
        if case is None:
            raise LookupError(f"no dossier {code!r}")
        before = case.status
        case.act(action, actor=actor, reason=reason)
        await _transition(uow, case, actor=actor, action=action, before=before, reason=reason,
                          caused_by=None)
        await uow.commit()
    return case
