"""The portal's requests on a registered dossier: a supplement, a withdrawal, the choice
after a failed postal delivery.

Both are decided on intake's own projection (the statuses processing publishes) and leave as
events on ``dossier.events``; processing answers with the status change.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import asyncpg

from services.intake import repository
from services.intake.deps import IntakeDeps
from services.intake.domain import (
    Conflict,
    DecodedDocument,
    DossierNotFound,
    timeline_detail,
)
from services.intake.handlers.storage import keep, stage
from services.intake.schemas import (
    ProvideSupplement,
    RedeliveryAnswer,
    RequestRedelivery,
    RequestWithdrawal,
    SupplementAnswer,
    WithdrawalAnswer,
)
from services.intake.validation import check_supplement
from shared.contracts.events import RedeliveryRequested, SupplementProvided, WithdrawalRequested
from shared.contracts.status import WITHDRAWABLE_STATUSES, DossierStatus
from shared.reference.workdays import BUSINESS_TZ
from shared.runtime.outbox import UnitOfWork


async def _dossier(uow: UnitOfWork, portal: str, code: str) -> asyncpg.Record:
    """The portal's own dossier, locked; another portal's dossier does not exist for it."""
    row = await repository.get_dossier(uow.conn, code, for_update=True)
    if row is None or row["portal"] != portal:
        raise DossierNotFound(code)
    return row


async def provide_supplement(portal: str, code: str, command: ProvideSupplement,
                             documents: list[DecodedDocument],
                             deps: IntakeDeps) -> SupplementAnswer:
    request_sha256 = hashlib.sha256(
        repr((command.note, [(d.kind, d.filename, d.content_type, d.sha256) for d in documents]))
        .encode()).hexdigest()
    async with deps.transactions() as uow:
        row = await _dossier(uow, portal, code)
        request = await repository.open_supplement_request(uow.conn, row["id"])
        answered = request and await repository.supplement_answering(uow.conn, request["event_id"])
        if answered:
            if answered["request_sha256"] == request_sha256:
                return SupplementAnswer(dossier_code=code, status=row["status"], replay=True,
                                        provided_at=answered["provided_at"],
                                        documents=answered["documents"])
            raise Conflict("the supplement request was already answered with other documents",
                           row["status"])
        if row["status"] != DossierStatus.AWAITING_SUPPLEMENT or request is None:
            raise Conflict("no supplement was requested: the dossier is not awaiting one",
                           row["status"])
        procedure = deps.catalog.version(row["catalog_version"]).procedure(row["procedure_code"])
        assert procedure is not None  # a published version never loses a procedure
        check_supplement(documents, procedure, deps.limits, request["detail"].get("missing", []))
        provided_at = datetime.now(UTC)
        day = provided_at.astimezone(BUSINESS_TZ).date()
        refs = await stage(portal, day, documents, deps, now=provided_at)
        await keep(uow.conn, {(portal, day): refs}, deps)
        envelope = uow.emit(
            SupplementProvided(dossier_code=code, documents=tuple(refs), provided_at=provided_at,
                               note=command.note),
            dossier_id=row["id"])
        listed = [r.model_dump(mode="json") for r in refs]
        await repository.insert_supplement(
            uow.conn, dossier_id=row["id"], event_id=envelope.event_id,
            answers_event_id=request["event_id"], documents=listed,
            request_sha256=request_sha256, provided_at=provided_at)
        await repository.add_to_timeline(uow.conn, envelope, None,
                                          timeline_detail(envelope.payload))
        await uow.commit()
    return SupplementAnswer(dossier_code=code, status=row["status"], provided_at=provided_at,
                            documents=listed)


async def request_withdrawal(portal: str, code: str, command: RequestWithdrawal,
                             deps: IntakeDeps) -> WithdrawalAnswer:
    async with deps.transactions() as uow:
        row = await _dossier(uow, portal, code)
        if row["withdrawal_requested_at"] is not None:
            return WithdrawalAnswer(dossier_code=code, status=row["status"], replay=True,
                                    withdrawal_requested_at=row["withdrawal_requested_at"])
        if row["status"] not in WITHDRAWABLE_STATUSES:
            raise Conflict(f"a dossier in status {row['status']!r} can no longer be withdrawn",
                           row["status"])
        requested_at = datetime.now(UTC)
        envelope = uow.emit(
            WithdrawalRequested(dossier_code=code, reason=command.reason,
                                requested_at=requested_at),
            dossier_id=row["id"])
        await repository.mark_withdrawal_requested(uow.conn, row["id"], requested_at,
                                                   envelope.event_id)
        await repository.add_to_timeline(uow.conn, envelope, None,
                                          timeline_detail(envelope.payload))
        await uow.commit()
    return WithdrawalAnswer(dossier_code=code, status=row["status"],
                            withdrawal_requested_at=requested_at)


async def request_redelivery(portal: str, code: str, command: RequestRedelivery,
                             deps: IntakeDeps) -> RedeliveryAnswer:
    """Pass the citizen's choice to postal, which knows where the parcel is (a choice that
    does not fit the parcel's state changes nothing there). Only a decided postal-return
    dossier, not yet returned, has a parcel to choose about."""
    async with deps.transactions() as uow:
        row = await _dossier(uow, portal, code)
        if row["return_method"] != "postal" or row["status"] != DossierStatus.DECIDED.value:
            raise Conflict(f"a dossier in status {row['status']!r} with return method "
                           f"{row['return_method']!r} has no parcel to redeliver",
                           row["status"])
        requested_at = datetime.now(UTC)
        envelope = uow.emit(RedeliveryRequested(dossier_code=code, choice=command.choice,
                                                requested_at=requested_at),
                            dossier_id=row["id"])
        await repository.add_to_timeline(uow.conn, envelope, None,
                                          timeline_detail(envelope.payload))
        await uow.commit()
    return RedeliveryAnswer(dossier_code=code, choice=command.choice, requested_at=requested_at)
