"""The rules of the side-effect loop, without a database: backoff with jitter and its cap,
the attempts bound, pending re-checks that do not count as attempts and their own bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.contracts.events import Event
from shared.runtime.effects import Done, Effect, Failed, Pending, Retry
from shared.runtime.effects.transitions import plan

NOW = datetime(2025, 1, 23, 8, tzinfo=UTC)


async def _never(row: object) -> Done:
    raise AssertionError("not called")


def effect(**retry: object) -> Effect:
    return Effect(name="test", table="work_item", claim="SELECT 1", attempt=_never,
                  given_up=lambda row, reason, attempts: Event(), done_status="done",
                  retry=Retry(**retry))  # type: ignore[arg-type]


def row(attempts: int = 0, pending_since: datetime | None = None) -> dict[str, object]:
    return {"attempts": attempts, "pending_since": pending_since}


def test_done_keeps_the_attempts_and_takes_the_done_status_or_the_outcomes() -> None:
    assert plan(effect(), row(3), Done(), NOW, 0).status == "done"
    step = plan(effect(), row(3), Done(status="delivered"), NOW, 0)
    assert (step.kind, step.status, step.attempts) == ("done", "delivered", 3)


@pytest.mark.parametrize(("attempts", "jitter", "wait_s"),
                         [(0, 0.0, 1), (0, 0.999_999, 2), (3, 0.0, 8), (9, 0.5, 225),
                          (20, 0.0, 150), (20, 0.999_999, 300)])
def test_a_transient_failure_backs_off_exponentially_with_jitter_and_a_cap(
        attempts: int, jitter: float, wait_s: float) -> None:
    step = plan(effect(max_attempts=50), row(attempts), Failed("503"), NOW, jitter)
    assert (step.kind, step.status, step.attempts) == ("transient", None, attempts + 1)
    assert step.next_attempt_at is not None
    assert (step.next_attempt_at - NOW).total_seconds() == pytest.approx(wait_s, abs=1e-3)
    assert step.last_error == "503"


def test_the_last_attempt_gives_up_and_a_permanent_failure_at_once() -> None:
    exhausted = plan(effect(max_attempts=3), row(2), Failed("timeout"), NOW, 0)
    assert (exhausted.kind, exhausted.status, exhausted.attempts) == ("exhausted", "failed", 3)
    assert exhausted.given_up
    permanent = plan(effect(max_attempts=3), row(0), Failed("declined", permanent=True), NOW, 0)
    assert (permanent.kind, permanent.status, permanent.attempts) == ("permanent", "failed", 1)


def test_pending_is_rechecked_without_counting_an_attempt() -> None:
    first = plan(effect(recheck_s=60), row(1), Pending(), NOW, 0)
    assert (first.kind, first.status, first.attempts) == ("pending", None, 1)
    assert first.next_attempt_at == NOW + timedelta(seconds=60)
    assert first.pending_since == NOW
    later = NOW + timedelta(minutes=5)
    again = plan(effect(), row(1, pending_since=NOW), Pending(recheck_in=5), later, 0)
    assert (again.pending_since, again.next_attempt_at) == (NOW, later + timedelta(seconds=5))


def test_pending_too_long_is_given_up_as_expired() -> None:
    late = NOW + timedelta(hours=2)
    step = plan(effect(pending_limit=timedelta(hours=2)), row(0, pending_since=NOW), Pending(),
                late, 0)
    assert (step.kind, step.status, step.attempts) == ("expired", "failed", 1)
    assert step.last_error == "still pending at the provider after 2.0 h"


def test_a_declaration_names_only_plain_tables_and_one_way_to_attempt() -> None:
    with pytest.raises(ValueError, match="not a column or table name"):
        Effect(name="x", table="payment; DROP TABLE payment", claim="", attempt=_never,
               given_up=lambda row, reason, attempts: Event())
    with pytest.raises(ValueError, match="exactly one"):
        Effect(name="x", table="payment", claim="", given_up=lambda row, reason, n: Event())
