"""What the effect loop tells operators: Prometheus metrics per effect, and a log line for
every attempt that did not simply succeed (no personal data: reasons are the effects')."""

from __future__ import annotations

import asyncpg
import structlog
from prometheus_client import Counter, Gauge

from shared.runtime.effects.declaration import Effect, Row
from shared.runtime.effects.transitions import Transition

log = structlog.get_logger(__name__)

BACKLOG = Gauge("side_effect_backlog", "Rows of a side effect neither done nor given up",
                ["effect"])
DONE = Counter("side_effect_done_total", "Side effects done", ["effect"])
FAILURES = Counter("side_effect_failures_total", "Failed attempts at a side effect by kind: "
                   "transient (retried later), permanent, exhausted (out of attempts), expired "
                   "(pending too long)", ["effect", "kind"])
RECHECKS = Counter("side_effect_rechecks_total", "Answers 'pending', asked again later",
                   ["effect"])


async def measure_backlog(effect: Effect, pool: asyncpg.Pool) -> int:
    """Count the effect's rows still to do (``due_status``) into its backlog gauge."""
    count: int = await pool.fetchval(
        f"SELECT count(*) FROM {effect.table} WHERE status = $1",  # noqa: S608 - declared name
        effect.due_status)
    BACKLOG.labels(effect.name).set(count)
    return count


def report(effect: Effect, row: Row, step: Transition) -> None:
    """Count one attempt's transition, and log it unless it was done."""
    if step.kind == "done":
        DONE.labels(effect.name).inc()
        return
    context = {"effect": effect.name, "dossier_code": row["dossier_code"],
               "attempts": step.attempts}
    if step.kind == "pending":
        RECHECKS.labels(effect.name).inc()
        log.info("side effect pending at the provider", **context,
                 recheck_at=str(step.next_attempt_at))
        return
    FAILURES.labels(effect.name, step.kind).inc()
    if step.given_up:
        log.error("side effect given up", **context, kind=step.kind, reason=step.last_error)
    else:
        log.warning("side effect failed, retried later", **context, reason=step.last_error,
                    retry_at=str(step.next_attempt_at))
