"""The loop that runs declared effects: claim, attempt, one transition statement for the
batch, events through the unit of work (see :mod:`shared.runtime.effects`)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from shared.runtime.effects.declaration import Done, Effect, Failed, Outcome, Row
from shared.runtime.effects.drain import drain_forever
from shared.runtime.effects.metrics import measure_backlog, report
from shared.runtime.effects.transitions import Transition, plan
from shared.runtime.outbox import Transactions, UnitOfWork

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def run_effects(effects: Sequence[Effect], transactions: Transactions, *,
                      interval_s: float = 1.0, backlog_every_s: float = 5.0) -> None:
    """Run every effect of a service until cancelled (a service's background job)."""
    await asyncio.gather(*(_run_forever(effect, transactions, interval_s, backlog_every_s)
                           for effect in effects))


async def _run_forever(effect: Effect, transactions: Transactions, interval_s: float,
                       backlog_every_s: float) -> None:
    measured = float("-inf")

    async def step() -> int:
        nonlocal measured
        handled = await run_once(effect, transactions)
        if time.monotonic() - measured >= backlog_every_s:
            measured = time.monotonic()
            await measure_backlog(effect, transactions.pool)
        return handled

    await drain_forever(transactions.pool, step, channel=effect.channel,
                        interval_s=interval_s, batch_size=effect.batch_size,
                        notifications=transactions.notifications)


async def run_once(effect: Effect, transactions: Transactions, *, now: Clock = utc_now,
                   jitter: Callable[[], float] = random.random) -> int:
    """Claim one batch of due rows, attempt each, record what happened and emit what it
    caused, in one transaction; return how many rows were attempted. ``now`` is the clock
    the claim and the transitions read (tests move it)."""
    at = now()
    async with transactions() as uow:
        rows = await uow.conn.fetch(effect.claim, at, effect.batch_size)
        if not rows:
            return 0
        outcomes = await _attempt(effect, rows)
        steps = [plan(effect, row, outcome, at, jitter())
                 for row, outcome in zip(rows, outcomes, strict=True)]
        await uow.conn.execute(_transition_sql(effect.table, effect.reference_column),
                               *_columns(rows, outcomes, steps), at)
        done = [(row, o) for row, o in zip(rows, outcomes, strict=True) if isinstance(o, Done)]
        if done and effect.settle is not None:
            await effect.settle(uow.conn, done)
        for row, outcome, step in zip(rows, outcomes, steps, strict=True):
            _emit(uow, effect, row, outcome, step)
        await uow.commit()
    for row, step in zip(rows, steps, strict=True):
        report(effect, row, step)
    return len(rows)


async def _attempt(effect: Effect, rows: Sequence[Row]) -> list[Outcome]:
    if effect.attempt_many is not None:
        try:
            outcomes = list(await effect.attempt_many(rows))
        except Exception as error:
            return [_failure(error)] * len(rows)
        if len(outcomes) != len(rows):
            raise ValueError(f"effect {effect.name}: {len(outcomes)} outcomes, {len(rows)} rows")
        return outcomes
    assert effect.attempt is not None  # one of the two, checked by the declaration
    results: list[Outcome] = []
    for row in rows:
        try:
            results.append(await effect.attempt(row))
        except Exception as error:
            results.append(_failure(error))
    return results


def _failure(error: Exception) -> Failed:
    """An exception from the provider's adapter: a transient failure, named by its type."""
    return Failed(f"{type(error).__name__}: {error}")


def _columns(rows: Sequence[Row], outcomes: Sequence[Outcome],
             steps: Sequence[Transition]) -> list[list[object]]:
    return [[row["id"] for row in rows], [s.status for s in steps], [s.attempts for s in steps],
            [s.next_attempt_at for s in steps], [s.last_error for s in steps],
            [s.pending_since for s in steps],
            [o.reference if isinstance(o, Done) else None for o in outcomes]]


def _transition_sql(table: str, reference_column: str | None) -> str:
    """One statement for a batch's transitions; ``None`` in a column keeps the row's value.
    The names come from the effect's declaration, which checked them."""
    reference = (f", {reference_column} = coalesce(u.reference, t.{reference_column})"
                 if reference_column else "")
    return f"""UPDATE {table} AS t
               SET status = coalesce(u.status, t.status), attempts = u.attempts,
                   next_attempt_at = coalesce(u.next_attempt_at, t.next_attempt_at),
                   last_error = coalesce(u.last_error, t.last_error),
                   pending_since = u.pending_since, updated_at = $8{reference}
               FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::text[],
                           $6::timestamptz[], $7::text[])
                    AS u(id, status, attempts, next_attempt_at, last_error, pending_since,
                         reference)
               WHERE t.id = u.id"""  # noqa: S608 - declared names, checked


def _emit(uow: UnitOfWork, effect: Effect, row: Row, outcome: Outcome,
          step: Transition) -> None:
    if isinstance(outcome, Done):
        events = list(outcome.events)
    elif step.given_up:
        events = [effect.given_up(row, step.last_error or "", step.attempts)]
    else:
        return
    for event in events:
        uow.emit(event, dossier_id=row["dossier_id"], dossier_code=row["dossier_code"],
                 correlation_id=row["correlation_id"], causation_id=row["causation_event_id"])
