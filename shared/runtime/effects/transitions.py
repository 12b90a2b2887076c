"""What an attempt's outcome does to its row, with no I/O: the rules of the effect loop
(backoff, the attempts bound, the pending bound), tested on their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.runtime.effects.declaration import Done, Effect, Failed, Outcome, Pending, Row

Kind = Literal["done", "pending", "transient", "permanent", "exhausted", "expired"]
GIVEN_UP: frozenset[Kind] = frozenset({"permanent", "exhausted", "expired"})


@dataclass(frozen=True)
class Transition:
    """The row after one attempt; ``None`` keeps a column as it is."""

    kind: Kind
    status: str | None
    attempts: int
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    pending_since: datetime | None = None

    @property
    def given_up(self) -> bool:
        return self.kind in GIVEN_UP


def plan(effect: Effect, row: Row, outcome: Outcome, now: datetime,
         jitter: float) -> Transition:
    """Done: the done status, attempts unchanged. Pending: asked again after the recheck
    interval, attempts unchanged, until ``pending_limit`` after the first pending answer
    (then expired). Failed: one more attempt; backed off while transient and attempts remain,
    else ``failed`` (permanent or exhausted)."""
    retry, attempts, since = effect.retry, row["attempts"], row["pending_since"]
    if isinstance(outcome, Done):
        return Transition("done", outcome.status or effect.done_status, attempts,
                          pending_since=since)
    expired = False
    if isinstance(outcome, Pending):
        since = since or now
        if now - since < retry.pending_limit:
            wait = retry.recheck_s if outcome.recheck_in is None else outcome.recheck_in
            return Transition("pending", None, attempts, now + timedelta(seconds=wait),
                              pending_since=since)
        hours = (now - since).total_seconds() / 3600
        outcome, expired = Failed(f"still pending at the provider after {hours:.1f} h",
                                  permanent=True), True
    attempts += 1
    reason = outcome.reason[:500]
    if not outcome.permanent and attempts < retry.max_attempts:
        return Transition("transient", None, attempts, now + retry.backoff(attempts, jitter),
                          reason, since)
    kind: Kind = "expired" if expired else "permanent" if outcome.permanent else "exhausted"
    return Transition(kind, "failed", attempts, last_error=reason, pending_since=since)
