"""Intake's main use case: register a portal's submission, once, whichever way it came."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from services.intake import repository
from services.intake.contracts import SubmitDossier
from services.intake.documents import DocumentStore
from services.intake.domain import Conflict, DecodedDocument, fingerprint
from services.intake.validation import Limits, check_submission, procedure_for
from services.intake.views import DossierReceipt
from shared.catalog import Catalog
from shared.events import Applicant, DocumentRef, DossierSubmitted, Envelope, SubmittedBy
from shared.outbox import UnitOfWork
from shared.portal_auth import PortalKeys
from shared.topics import DOSSIER_EVENTS
from shared.workdays import BUSINESS_TZ, WorkingCalendar

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IntakeDeps:
    pool: asyncpg.Pool
    catalog: Catalog
    calendar: WorkingCalendar
    documents: DocumentStore
    limits: Limits
    portal_keys: PortalKeys
    clock_skew_s: int = 300


async def store_documents(documents: list[DecodedDocument], deps: IntakeDeps) -> list[DocumentRef]:
    """Store each document (before the transaction: content-addressed, so a rollback leaves
    only an unreferenced copy, and a retry stores nothing new)."""
    return [
        DocumentRef(kind=d.kind, filename=d.filename, content_type=d.content_type,
                    size=len(d.content), sha256=await deps.documents.put(d.content))
        for d in documents
    ]


async def submit_dossier(
    portal: str, command: SubmitDossier, documents: list[DecodedDocument], deps: IntakeDeps,
    *, now: datetime | None = None,
) -> tuple[DossierReceipt, bool]:
    """Register a submission; returns the receipt and whether it is new (False on replay).

    Raises SubmissionRefused (invalid) or Conflict (the id was used for another body).
    """
    request_sha256 = fingerprint(command, documents)
    async with deps.pool.acquire() as conn:
        existing = await repository.find_by_submission(conn, portal, command.portal_submission_id)
    if existing is not None:
        return _replay(existing, request_sha256), False

    received_at = now or datetime.now(UTC)
    version = deps.catalog.active(received_at)
    known_elsewhere = any(v.procedure(command.procedure_code) for v in deps.catalog.versions)
    procedure = procedure_for(command, version, known_elsewhere)
    check_submission(command, documents, procedure, deps.limits)
    refs = await store_documents(documents, deps)
    counted_from = deps.calendar.counted_from(received_at, procedure.cutoff)
    business_day = received_at.astimezone(BUSINESS_TZ).date()
    dossier_id = uuid.uuid4()
    try:
        async with UnitOfWork(deps.pool) as uow:
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
                postal_address=command.postal_address,
                documents=tuple(refs),
                fee=procedure.fee,
                committed_days=procedure.committed_days,
                statutory_days=procedure.statutory_days,
                received_at=received_at,
                due_date=deps.calendar.add_working_days(counted_from, procedure.committed_days),
                statutory_due_date=deps.calendar.add_working_days(
                    counted_from, procedure.statutory_days),
            )
            envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="intake")
            await repository.insert_dossier(uow.conn, event, envelope, request_sha256)
            detail = {"channel": event.channel,
                      "submitted_by": command.submitted_by.model_dump(exclude_none=True)}
            await repository.add_to_timeline(uow.conn, envelope, event.status.value, detail)
            code = await repository.take_dossier_code(
                uow.conn, dossier_id, version.agency.code, business_day)
            event = event.model_copy(update={"dossier_code": code})
            envelope = envelope.model_copy(update={
                "dossier_code": code, "payload": event.model_dump(mode="json")})
            await uow.record(DOSSIER_EVENTS, envelope)
            await uow.commit()
    except asyncpg.UniqueViolationError:
        # A concurrent replay of the same submission won the race: answer as a replay.
        async with deps.pool.acquire() as conn:
            existing = await repository.find_by_submission(
                conn, portal, command.portal_submission_id
            )
        assert existing is not None
        return _replay(existing, request_sha256), False
    log.info("dossier registered", dossier_code=event.dossier_code, portal=portal,
             procedure_code=event.procedure_code, channel=event.channel,
             correlation_id=str(envelope.correlation_id))
    receipt = DossierReceipt(
        dossier_code=event.dossier_code, status=event.status.value, received_at=received_at,
        due_date=event.due_date, statutory_due_date=event.statutory_due_date,
        catalog_version=version.id,
    )
    return receipt, True


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
