"""Intake's use cases: register a submission, and keep each dossier's public timeline."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.intake import repository
from services.intake.contracts import DossierReceipt, SubmitDossier
from services.intake.documents import LocalDocumentStore
from services.intake.domain import check_submission, dossier_code
from shared.catalog import Catalog
from shared.events import Applicant, DocumentRef, DossierSubmitted, Envelope, Event
from shared.outbox import UnitOfWork
from shared.status import DossierStatus
from shared.topics import DOSSIER_EVENTS
from shared.workdays import BUSINESS_TZ, WorkingCalendar


class SubmissionConflict(Exception):
    """Same portal submission id, different content."""


@dataclass(frozen=True)
class IntakeDeps:
    pool: asyncpg.Pool
    catalog: Catalog
    calendar: WorkingCalendar
    documents: LocalDocumentStore
    max_document_bytes: int
    max_dossier_bytes: int


def request_fingerprint(command: SubmitDossier) -> str:
    return hashlib.sha256(command.model_dump_json().encode()).hexdigest()


async def submit_dossier(
    command: SubmitDossier, deps: IntakeDeps, *, now: datetime | None = None
) -> tuple[DossierReceipt, bool]:
    """Register a submission; returns the receipt and whether it is new (False on replay)."""
    fingerprint = request_fingerprint(command)
    async with deps.pool.acquire() as conn:
        existing = await repository.find_by_submission(
            conn, command.portal, command.portal_submission_id
        )
    if existing is not None:
        return _replay(existing, fingerprint), False

    received_at = now or datetime.now(UTC)
    version = deps.catalog.active(received_at)
    procedure = version.procedure(command.procedure_code)
    decoded = check_submission(
        command,
        procedure,
        max_document_bytes=deps.max_document_bytes,
        max_dossier_bytes=deps.max_dossier_bytes,
    )
    assert procedure is not None
    refs = [
        DocumentRef(
            kind=d.kind,
            filename=d.filename,
            content_type=d.content_type,
            size=len(d.content),
            sha256=await deps.documents.put(d.content),
        )
        for d in decoded
    ]
    due = deps.calendar.due_date(received_at, procedure.committed_days, procedure.cutoff)
    business_day = received_at.astimezone(BUSINESS_TZ).date()
    dossier_id = uuid.uuid4()
    try:
        async with UnitOfWork(deps.pool) as uow:
            number = await repository.next_dossier_number(
                uow.conn, version.agency.code, business_day
            )
            event = DossierSubmitted(
                dossier_code=dossier_code(version.agency.code, business_day, number),
                portal=command.portal,
                portal_submission_id=command.portal_submission_id,
                agency_code=version.agency.code,
                procedure_code=procedure.code,
                procedure_name=procedure.name,
                department_code=procedure.department_code,
                catalog_version=version.id,
                applicant=Applicant(**command.applicant.model_dump()),
                return_method=command.return_method,
                postal_address=command.postal_address,
                documents=tuple(refs),
                fee=procedure.fee,
                committed_days=procedure.committed_days,
                received_at=received_at,
                due_date=due,
            )
            envelope = Envelope.wrap(
                event, dossier_id=dossier_id, producer="intake", dossier_code=event.dossier_code
            )
            await repository.insert_dossier(uow.conn, event, envelope, fingerprint)
            await repository.add_to_timeline(uow.conn, envelope, event.status.value, {})
            await uow.record(DOSSIER_EVENTS, envelope)
            await uow.commit()
    except asyncpg.UniqueViolationError:
        # A concurrent replay of the same submission won the race: answer as a replay.
        async with deps.pool.acquire() as conn:
            existing = await repository.find_by_submission(
                conn, command.portal, command.portal_submission_id
            )
        assert existing is not None
        return _replay(existing, fingerprint), False
    receipt = DossierReceipt(
        dossier_code=event.dossier_code,
        status=event.status.value,
        received_at=received_at,
        due_date=due,
    )
    return receipt, True


def _replay(existing: asyncpg.Record, fingerprint: str) -> DossierReceipt:
    if existing["request_sha256"] != fingerprint:
        raise SubmissionConflict(
            "portal_submission_id was already used for a different submission"
        )
    return DossierReceipt(
        dossier_code=existing["code"],
        status=existing["status"],
        received_at=existing["received_at"],
        due_date=existing["due_date"],
    )


_KNOWN_STATUSES = {s.value for s in DossierStatus}
_PUBLIC_DETAIL = ("outcome", "reason", "tracking_code", "method", "amount", "channel")


async def record_in_timeline(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    """Any event about a dossier joins its timeline; a status in it becomes the status."""
    payload: dict[str, Any] = envelope.payload
    status = payload.get("status")
    if status not in _KNOWN_STATUSES:
        status = None  # a status from a newer producer: keep the entry, not the status
    detail = {k: payload[k] for k in _PUBLIC_DETAIL if payload.get(k) is not None}
    await repository.add_to_timeline(uow.conn, envelope, status, detail)
