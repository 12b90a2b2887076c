"""At-risk and overdue dossiers: flagged once per committed date, by whichever replica
gets to them first.

Each scan locks the rows it takes with ``FOR UPDATE SKIP LOCKED`` and records the flag in
the same transaction as the events, so replicas scanning at once share the rows and none
flags a dossier twice. An apology letter's new date may be flagged again, once.
"""

from __future__ import annotations

from services.processing.deps import Deps
from services.processing.domain.rules import CLOCK_RUNNING
from services.processing.handlers.writing import write_transition
from services.processing.repository import cases

FEE_REMINDER_DAYS = 1


async def scan_deadlines(deps: Deps, batch_size: int = 100) -> int:
    """One batch; returns how many dossiers were flagged."""
    at = deps.now()
    today, near = deps.sla_dates(at)
    flagged = 0
    async with deps.transactions() as uow:
        due = await cases.lock_due_for_scan(uow.conn, [s.value for s in CLOCK_RUNNING], near,
                                            today, batch_size)
        for case in due:
            before = case.snapshot()
            if case.flag_deadline(today, near, deps.calendar):
                await write_transition(uow.conn, uow, deps, case, before, at, announce=True)
                flagged += 1
        # The fee's deadline: reminded FEE_REMINDER_DAYS working days before, flagged after.
        remind_by = deps.calendar.add_working_days(today, FEE_REMINDER_DAYS)
        for case in await cases.lock_fee_due_for_scan(uow.conn, remind_by, today, batch_size):
            before = case.snapshot()
            if case.flag_fee_deadline(today, remind_by):
                await write_transition(uow.conn, uow, deps, case, before, at)
                flagged += 1
        await uow.commit()
    return flagged
