"""The officer's use case: act on a dossier of one's own department.

The action is decided on the dossier as read, and written by one statement that takes the
row's lock and applies only if the dossier is still at the version read (with its audit
entries, its events and any result document, or nothing at all). So two officers acting at
once take turns: the one whose write comes second finds the version gone, reads the new
state and decides again, as if it had waited for the first one's lock: its action no longer
allowed, or the version it names gone, is a 409 instead of an action on a dossier it has not
seen. Holding the lock while deciding would cost a transaction of its own (BEGIN and COMMIT:
two more round trips per action) for the same outcome.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

import structlog

from services.processing import officer_work as work
from services.processing import repository
from services.processing.changes import ConcurrentChange, save
from services.processing.commands import (
    AcceptDossier,
    ApproveDossier,
    IssueApology,
    OfficerCommand,
    ProposeDecision,
    RefuseAtIntake,
    RefuseDossier,
    RequestSupplement,
    StartProcessing,
    StopProcessing,
    TransferDossier,
)
from services.processing.deps import Deps
from services.processing.domain import Case
from services.processing.officers import Officer
from services.processing.trail import Actor
from services.processing.workflow import Action, InvalidAction
from shared.contracts.events import DocumentRef

log = structlog.get_logger(__name__)

MAX_RESULT_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_ATTEMPTS = 5  # each failed one means another action on the dossier succeeded meanwhile


class NotYourDepartment(Exception):
    """The dossier belongs to another department (HTTP 403)."""


class StaleVersion(Exception):
    """The officer acted on a version of the dossier that is no longer current (HTTP 409)."""

    def __init__(self, case: Case, seen: int) -> None:
        super().__init__(f"dossier {case.code} is at version {case.version}, not {seen}: "
                         "somebody acted on it meanwhile; reload it")
        self.case = case


async def act_on_dossier(deps: Deps, code: str, command: OfficerCommand, officer: Officer
                         ) -> Case:
    """Raises LookupError, NotYourDepartment, StaleVersion, ActionNotAllowed, InvalidAction
    or, when others changed the dossier under it ``MAX_ATTEMPTS`` times in a row,
    ConcurrentChange (nothing is written then)."""
    actor = Actor(officer.username, officer.role)
    async with deps.pool.acquire() as conn:
        for _ in range(MAX_ATTEMPTS):
            case = await repository.load_by_code(conn, code)
            if case is None:
                raise LookupError(f"no dossier {code!r}")
            if case.department_code != officer.department_code:
                raise NotYourDepartment(
                    f"dossier {code} belongs to department {case.department_code!r}, "
                    f"not {officer.department_code!r}")
            if command.version is not None and command.version != case.version:
                raise StaleVersion(case, command.version)
            before, at = case.snapshot(), deps.now()
            document = _perform(deps, case, command, actor, at)
            try:
                await save(conn, deps, case, before, at, document=document)
                break
            except ConcurrentChange:
                continue  # somebody acted between the read and the write: decide again
        else:
            raise ConcurrentChange(f"dossier {code} keeps changing under this action; "
                                   "reload it")
    log.info("officer action", dossier_code=case.code, action=command.action,
             officer=officer.username, role=officer.role.value,
             from_status=before.status.value, to_status=case.status.value)
    return case


def _perform(deps: Deps, case: Case, command: OfficerCommand, actor: Actor, at: datetime
             ) -> dict | None:
    match command:
        case AcceptDossier():
            work.accept(case, actor, at, deps.calendar)
        case RefuseAtIntake(reason=reason):
            work.refuse_at_intake(case, actor, reason)
        case StartProcessing():
            work.start(case, actor)
        case RequestSupplement():
            work.request_supplement(case, actor, at, deps.calendar, missing=command.missing,
                                    reason=command.reason, deadline=command.deadline)
        case ProposeDecision():
            work.propose(case, actor, command.proposed_outcome, command.reason)
        case ApproveDossier():
            work.check(case, Action.APPROVE, actor)  # a 409 before any complaint on content
            stored = _decode(command)
            ref = DocumentRef(kind="ket_qua", filename=stored["filename"],
                              content_type=stored["content_type"],
                              size=len(stored["content"]), sha256=stored["sha256"])
            work.decide(case, actor, at, approve=True, reason=command.reason, document=ref)
            return stored
        case RefuseDossier(reason=reason):
            work.decide(case, actor, at, approve=False, reason=reason, document=None)
        case StopProcessing(reason=reason):
            work.stop(case, actor, reason)
        case TransferDossier():
            work.transfer(case, actor, to_department=command.to_department,
                          departments=deps.departments(case.catalog_version),
                          reason=command.reason)
        case IssueApology():
            work.issue_apology(case, actor, at, deps.calendar, reason=command.reason,
                               new_due_date=command.new_due_date)
    return None


def _decode(command: ApproveDossier) -> dict:
    document = command.result_document
    try:
        content = base64.b64decode(document.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidAction("result_document.content_base64: not valid base64") from None
    if not content or len(content) > MAX_RESULT_DOCUMENT_BYTES:
        raise InvalidAction(f"result_document: {len(content)} bytes; it must have 1 to "
                            f"{MAX_RESULT_DOCUMENT_BYTES} bytes")
    return {"filename": document.filename, "content_type": document.content_type,
            "sha256": hashlib.sha256(content).hexdigest(), "content": content}
