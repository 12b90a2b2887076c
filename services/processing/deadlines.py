"""At-risk and overdue dossiers: flagged once per committed date, by whichever replica
gets to them first.

Each scan locks the rows it takes with ``FOR UPDATE SKIP LOCKED`` and records the flag in
the same transaction as the events, so replicas scanning at once share the rows and none
flags a dossier twice. An apology letter's new date may be flagged again, once.
"""

from __future__ import annotations

from datetime import date

from services.processing import repository
from services.processing.changes import save
from services.processing.deps import Deps
from services.processing.domain import Case
from services.processing.trail import SYSTEM
from services.processing.workflow import CLOCK_RUNNING
from shared.contracts.events import DossierAtRisk, DossierOverdue
from shared.reference.workdays import WorkingCalendar
from shared.runtime.outbox import UnitOfWork


def flag_deadline(case: Case, today: date, near: date, calendar: WorkingCalendar) -> bool:
    """Flag the case at risk or overdue if it is and was not yet for this date."""
    due = case.due_date
    if case.status not in CLOCK_RUNNING:
        return False
    if due < today and case.overdue_flagged_for != due:
        # Past due: "at risk" would be news of yesterday, so it is settled with it.
        case.overdue_flagged_for = case.at_risk_flagged_for = due
        case.emit(DossierOverdue(dossier_code=case.code, department_code=case.department_code,
                                 due_date=due))
        case.note("flag_overdue", SYSTEM, case.status, detail={"due_date": due.isoformat()})
        return True
    if today <= due <= near and case.at_risk_flagged_for != due:
        case.at_risk_flagged_for = due
        left = calendar.working_days_between(today, due)
        case.emit(DossierAtRisk(dossier_code=case.code, department_code=case.department_code,
                                due_date=due, working_days_left=left))
        case.note("flag_at_risk", SYSTEM, case.status,
                  detail={"due_date": due.isoformat(), "working_days_left": left})
        return True
    return False


async def scan_deadlines(deps: Deps, batch_size: int = 100) -> int:
    """One batch; returns how many dossiers were flagged."""
    at = deps.now()
    today, near = deps.sla_dates(at)
    flagged = 0
    async with UnitOfWork(deps.pool, producer="processing") as uow:
        cases = await repository.lock_due_for_scan(
            uow.conn, [s.value for s in CLOCK_RUNNING], near, today, batch_size)
        for case in cases:
            before = case.snapshot()
            if flag_deadline(case, today, near, deps.calendar):
                await save(uow.conn, deps, case, before, at, announce=True)
                flagged += 1
        await uow.commit()
    return flagged
