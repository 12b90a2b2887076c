"""An officer acts on a dossier of their own department.

An action is found in ``OFFICER_ACTIONS`` by its request's type, decided on the dossier as
read, and written by one statement that takes the row's lock and applies only if the dossier
is still at the version read (with its audit entries, its events and any result document, or
nothing at all). So two officers acting at once take turns: the one whose write comes second
finds the version gone, reads the new state and decides again, as if it had waited for the
first one's lock: its action no longer allowed, or the version it names gone, is a 409
instead of an action on a dossier it has not seen. Holding the lock while deciding would
cost a transaction of its own (BEGIN and COMMIT: two more round trips per action).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel

from services.processing.deps import Deps
from services.processing.domain.case import Case
from services.processing.domain.errors import ConcurrentChange
from services.processing.domain.result_file import ResultFile
from services.processing.domain.rules import Action
from services.processing.domain.trail import Actor
from services.processing.handlers.reads import own_case
from services.processing.handlers.writing import write_transition
from services.processing.officers import Officer
from services.processing.schemas import (
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
from shared.reference.workdays import WorkingCalendar

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5  # each failed one means another action on the dossier succeeded meanwhile


@dataclass(frozen=True)
class Acting:
    """Who acts, when, and what a decision may look up."""

    actor: Actor
    at: datetime
    calendar: WorkingCalendar
    departments: Callable[[str], set[str]]  # a catalog version's department codes


def _approve(case: Case, command: ApproveDossier, acting: Acting) -> ResultFile:
    case.check(Action.APPROVE, acting.actor)  # a 409 before any complaint on content
    document = command.result_document
    stored = ResultFile.decode(document.filename, document.content_type,
                               document.content_base64)
    case.decide(acting.actor, acting.at, approve=True, reason=command.reason, document=stored.ref)
    return stored


Perform = Callable[[Case, Any, Acting], ResultFile | None]
"""Makes the transition a request asks for; returns the result document it carries, if any."""

# Each officer action: its request model (schemas.py) -> its transition (a method of Case).
OFFICER_ACTIONS: dict[type[BaseModel], Perform] = {
    AcceptDossier: lambda case, _, a: case.accept(a.actor, a.at, a.calendar),
    RefuseAtIntake: lambda case, c, a: case.refuse_at_intake(a.actor, c.reason),
    StartProcessing: lambda case, _, a: case.start(a.actor),
    RequestSupplement: lambda case, c, a: case.request_supplement(
        a.actor, a.at, a.calendar, missing=c.missing, reason=c.reason, deadline=c.deadline),
    ProposeDecision: lambda case, c, a: case.propose(a.actor, c.proposed_outcome, c.reason),
    ApproveDossier: _approve,
    RefuseDossier: lambda case, c, a: case.decide(a.actor, a.at, approve=False,
                                                  reason=c.reason, document=None),
    StopProcessing: lambda case, c, a: case.stop(a.actor, c.reason),
    TransferDossier: lambda case, c, a: case.transfer(
        a.actor, to_department=c.to_department,
        departments=a.departments(case.catalog_version), reason=c.reason),
    IssueApology: lambda case, c, a: case.issue_apology(
        a.actor, a.at, a.calendar, reason=c.reason, new_due_date=c.new_due_date),
}


async def act_on_dossier(deps: Deps, code: str, command: OfficerCommand, officer: Officer
                         ) -> Case:
    """Raises CaseNotFound (another department's dossier too), StaleVersion,
    ActionNotAllowed, InvalidAction or, when others changed the dossier under it
    ``MAX_ATTEMPTS`` times in a row, ConcurrentChange (nothing is written then)."""
    perform, actor = OFFICER_ACTIONS[type(command)], Actor(officer.username, officer.role)
    # Written by the action's own statement, outside a transaction: no BEGIN and COMMIT.
    outbox = deps.transactions.outbox()
    async with deps.pool.acquire() as conn:
        for _ in range(MAX_ATTEMPTS):
            case = await own_case(conn, code, officer)
            case.check_version(command.version, actor)
            before, at = case.snapshot(), deps.now()
            document = perform(case, command, Acting(actor, at, deps.calendar,
                                                     deps.departments))
            try:
                await write_transition(conn, outbox, deps, case, before, at, document=document)
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
