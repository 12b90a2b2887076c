"""The daily reconciliation as a scheduled job on the shared side-effect loop: one row per
settlement day in ``reconciliation_run``, due the next day at ``PAYMENT_RECONCILE_AT``
(GMT+7). The loop claims it when due (on the clock it is given), runs the reconciliation,
retries it as any effect when the file cannot be had, and a done run schedules the next
day. The service schedules the previous day when it starts, so a day it was down for is
caught up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import asyncpg

from services.payment.deps import PaymentDeps
from services.payment.domain.receipts import VIETNAM
from services.payment.handlers.reconcile import reconcile
from services.payment.repository import ledger
from shared.contracts.events import PaymentReconciliationFailed
from shared.runtime.effects import Done, Effect, Outcome, Retry
from shared.runtime.outbox import Transactions

Row = asyncpg.Record
CLAIM = """SELECT id, settlement_date, attempts, pending_since, id AS dossier_id,
                  NULL::text AS dossier_code, id AS correlation_id,
                  NULL::uuid AS causation_event_id
           FROM reconciliation_run
           WHERE status = 'scheduled' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED"""


def parse_at(text: str) -> time:
    """``HH:MM``, GMT+7."""
    return time.fromisoformat(text)


def due_at(day: date, at: time) -> datetime:
    """When the settlement of ``day`` is reconciled: the next day at ``at``, GMT+7."""
    return datetime.combine(day + timedelta(days=1), at, VIETNAM)


async def schedule_previous_day(transactions: Transactions, now: datetime, at: time) -> date:
    day = now.astimezone(VIETNAM).date() - timedelta(days=1)
    async with transactions() as uow:
        await ledger.schedule_run(uow.conn, day, due_at(day, at))
        await uow.commit()
    return day


def reconciliations(deps: PaymentDeps, at: time, retry: Retry) -> Effect:
    async def run(row: Row) -> Outcome:
        lines = await reconcile(row["settlement_date"], deps)
        mismatches = sum(1 for line in lines if line.kind != "matched")
        return Done(reference=f"{len(lines)} lines, {mismatches} mismatches")

    async def next_day(conn: asyncpg.Connection, done: Sequence[tuple[Row, Done]]) -> None:
        for row, _ in done:
            day = row["settlement_date"] + timedelta(days=1)
            await ledger.schedule_run(conn, day, due_at(day, at))

    def given_up(row: Row, reason: str, attempts: int) -> PaymentReconciliationFailed:
        return PaymentReconciliationFailed(settlement_date=row["settlement_date"],
                                           reason=reason[:500], attempts=attempts)

    return Effect(name="reconciliation", table="reconciliation_run", claim=CLAIM, attempt=run,
                  given_up=given_up, settle=next_day, due_status="scheduled",
                  reference_column="summary", retry=retry, batch_size=1)
