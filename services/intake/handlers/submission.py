"""Intake's main use case: register a portal's submission, once, whichever way it came."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import structlog

from services.intake import repository
from services.intake.deps import IntakeDeps
from services.intake.domain import Conflict, DecodedDocument, fingerprint
from services.intake.handlers.storage import keep, stage
from services.intake.schemas import DossierReceipt, SubmitDossier
from services.intake.validation import check_submission, procedure_for
from shared.contracts.events import (
    Applicant,
    DocumentRef,
    DossierSubmitted,
    PostalAddress,
    SubmittedBy,
)
from shared.reference.workdays import BUSINESS_TZ

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Registration:
    """A valid submission seen for the first time, its documents stored: everything the
    dossier needs but its code, which :func:`register` gives it."""

    event: DossierSubmitted  # dossier_code is provisional (the dossier id) until registered
    dossier_id: uuid.UUID
    event_id: uuid.UUID  # fixed before the event is emitted: its timeline entry comes first
    request_sha256: str
    timeline_detail: dict[str, Any]
    business_day: date
    version_id: str
    context: contextvars.Context | None = None
    """The submitter's context (its trace, its log fields) when another task registers it in
    a lot (api/lots.py): its event and log line are made in it."""


async def prepare_submission(
    portal: str, command: SubmitDossier, documents: list[DecodedDocument], deps: IntakeDeps,
    *, now: datetime | None = None,
) -> Registration | DossierReceipt:
    """Check a submission fully, then stage its documents (handlers/storage.py); a replay's
    receipt when the portal sent this submission before. Raises SubmissionRefused (invalid),
    Conflict (the id was used for another body) or QuotaExceeded."""
    request_sha256 = fingerprint(command, documents)
    async with deps.pool.acquire() as conn:
        existing = await repository.find_by_submission(conn, portal, command.portal_submission_id)
    if existing is not None:
        return _replay(existing, request_sha256)

    received_at = now or datetime.now(UTC)
    version = deps.catalog.active(received_at)
    known_elsewhere = any(v.procedure(command.procedure_code) for v in deps.catalog.versions)
    procedure = procedure_for(command, version, known_elsewhere)
    check_submission(command, documents, procedure, deps.limits)
    business_day = received_at.astimezone(BUSINESS_TZ).date()
    refs = await stage(portal, business_day, documents, deps, now=received_at)
    dossier_id = uuid.uuid4()
    event = DossierSubmitted(
        dossier_code=str(dossier_id),  # provisional: numbered just before COMMIT
        portal=portal,
        portal_submission_id=command.portal_submission_id,
        agency_code=version.agency.code,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        department_code=procedure.department_code,
        catalog_version=version.id,
        applicant=Applicant(**command.applicant.model_dump()),
        submitted_by=SubmittedBy(**command.submitted_by.model_dump()),
        channel=command.channel,
        return_method=command.return_method,
        postal_address=(PostalAddress(**command.postal_address.model_dump())
                        if command.postal_address else None),
        documents=tuple(refs),
        fee=procedure.fee,
        committed_days=procedure.committed_days,
        statutory_days=procedure.statutory_days,
        received_at=received_at,
        due_date=deps.calendar.due_date(received_at, procedure.committed_days,
                                        procedure.cutoff),
        statutory_due_date=deps.calendar.due_date(received_at, procedure.statutory_days,
                                                  procedure.cutoff),
    )
    return Registration(
        event=event,
        dossier_id=dossier_id,
        event_id=uuid.uuid4(),
        request_sha256=request_sha256,
        timeline_detail={"channel": event.channel,
                         "submitted_by": command.submitted_by.model_dump(exclude_none=True)},
        business_day=business_day,
        version_id=version.id,
    )


async def register(registrations: Sequence[Registration], deps: IntakeDeps
                   ) -> list[DossierReceipt]:
    """Write the dossiers in one transaction and number them in their order; their receipts.

    The portal's day row (its quota, ``keep``) and then the agency's counter row are taken by
    the last statements before COMMIT, once per portal or agency and day for the whole lot:
    every intake of the portal or agency queues behind those row locks until the commit, so
    a lot of 200 (a batch from ``portal.submissions``, or HTTP's lots: api/lots.py) holds
    them for one commit instead of 200 (issue 6: the lock, not the CPU, capped acceptance at
    ~100/s; issue 17: the portal's day row capped HTTP intake at ~15/s). A rollback
    gives the numbers back. Raises what PostgreSQL raised (UniqueViolationError when one of
    them was registered meanwhile): nothing is written then."""
    lots: dict[tuple[str, date], list[DocumentRef]] = {}
    for r in registrations:
        lots.setdefault((r.event.portal, r.business_day), []).extend(r.event.documents)
    async with deps.transactions() as uow:
        await repository.insert_dossiers(
            uow.conn, [(r.event, r.dossier_id, r.request_sha256) for r in registrations])
        await repository.add_registrations_to_timeline(uow.conn, [
            (r.event_id, r.dossier_id, r.event.received_at, r.event.type_name(), uow.producer,
             r.event.status.value, r.timeline_detail) for r in registrations])
        # The portal's day row (its quota) is the other row every intake of the portal
        # queues behind: taken late too, so it is held for the last round trips only.
        await keep(uow.conn, lots, deps)
        codes = await repository.take_dossier_codes(
            uow.conn, [(r.dossier_id, r.event.agency_code, r.business_day)
                       for r in registrations])
        numbered = []
        for r in registrations:
            event = r.event.model_copy(update={"dossier_code": codes[r.dossier_id]})
            envelope = _in(r.context, uow.emit, event, dossier_id=r.dossier_id,
                           event_id=r.event_id, occurred_at=event.received_at)
            numbered.append((event, envelope, r.version_id, r.context))
        await uow.commit()
    receipts = []
    for event, envelope, version_id, context in numbered:
        _in(context, log.info, "dossier registered", dossier_code=event.dossier_code,
            portal=event.portal, procedure_code=event.procedure_code, channel=event.channel,
            correlation_id=str(envelope.correlation_id))
        receipts.append(DossierReceipt(
            dossier_code=event.dossier_code, status=event.status.value,
            received_at=event.received_at, due_date=event.due_date,
            statutory_due_date=event.statutory_due_date, catalog_version=version_id,
        ))
    return receipts


def _in(context: contextvars.Context | None, call: Callable[..., Any], *args: Any,
        **kwargs: Any) -> Any:
    return call(*args, **kwargs) if context is None else context.run(call, *args, **kwargs)


async def _alone(registration: Registration, deps: IntakeDeps) -> DossierReceipt:
    (receipt,) = await register([registration], deps)
    return receipt


async def submit_dossier(
    portal: str, command: SubmitDossier, documents: list[DecodedDocument], deps: IntakeDeps,
    *, now: datetime | None = None,
    registrar: Callable[[Registration], Awaitable[DossierReceipt]] | None = None,
) -> tuple[DossierReceipt, bool]:
    """Register a submission; returns the receipt and whether it is new (False on replay).
    ``registrar`` registers it (HTTP's lots, api/lots.py), by default in a transaction alone.

    Raises SubmissionRefused (invalid) or Conflict (the id was used for another body).
    """
    prepared = await prepare_submission(portal, command, documents, deps, now=now)
    if isinstance(prepared, DossierReceipt):
        return prepared, False
    try:
        receipt = await (registrar(prepared) if registrar else _alone(prepared, deps))
    except asyncpg.UniqueViolationError:
        # A concurrent replay of the same submission won the race: answer as a replay.
        return await replay_of(portal, command.portal_submission_id, prepared.request_sha256,
                               deps)
    return receipt, True


async def replay_of(portal: str, submission_id: str, request_sha256: str, deps: IntakeDeps
                    ) -> tuple[DossierReceipt, bool]:
    """The receipt of a submission registered meanwhile (Conflict if its body differed)."""
    async with deps.pool.acquire() as conn:
        existing = await repository.find_by_submission(conn, portal, submission_id)
    assert existing is not None
    return _replay(existing, request_sha256), False


def _replay(existing: asyncpg.Record, request_sha256: str) -> DossierReceipt:
    if existing["request_sha256"] != request_sha256:
        raise Conflict(
            f"portal_submission_id was already used for a different submission "
            f"(dossier {existing['code']})"
        )
    return DossierReceipt(
        dossier_code=existing["code"], status=existing["status"],
        received_at=existing["received_at"], due_date=existing["due_date"],
        statutory_due_date=existing["statutory_due_date"],
        catalog_version=existing["catalog_version"],
    )
