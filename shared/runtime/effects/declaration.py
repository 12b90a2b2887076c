"""What a service declares about a side effect: the outcomes of an attempt, how hard to retry,
and the effect itself (see :mod:`shared.runtime.effects`)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from shared.contracts.events import Event

Row = asyncpg.Record
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class Done:
    """The provider did it. ``events`` are emitted; ``status`` overrides the effect's
    ``done_status``; ``reference`` is the provider's id for it (kept in ``reference_column``)."""

    events: Sequence[Event] = ()
    status: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class Pending:
    """The provider has it and has not decided: ask again (same key) in ``recheck_in`` s,
    the effect's ``retry.recheck_s`` unless the provider said."""

    recheck_in: float | None = None


@dataclass(frozen=True)
class Failed:
    reason: str
    permanent: bool = False


Outcome = Done | Pending | Failed


@dataclass(frozen=True)
class Retry:
    """How hard to try: ``max_attempts`` failed attempts (backed off ``backoff_s`` · 2^(n-1),
    at most ``backoff_cap_s``, each between half and all of that), and pending rows asked
    again every ``recheck_s`` for at most ``pending_limit``."""

    max_attempts: int = 10
    backoff_s: float = 2.0
    backoff_cap_s: float = 300.0
    recheck_s: float = 60.0
    pending_limit: timedelta = timedelta(days=1)

    def backoff(self, attempts: int, jitter: float) -> timedelta:
        """The wait after the ``attempts``-th failure; ``jitter`` in [0, 1) spreads replicas
        and rows that failed together."""
        full = min(self.backoff_cap_s, self.backoff_s * 2 ** (attempts - 1))
        return timedelta(seconds=full * (0.5 + jitter / 2))


@dataclass(frozen=True)
class Effect:
    """One side effect of a service, declared: what to claim, how to attempt it, what to
    say when it is given up. See the module docstring for what each part must do."""

    name: str
    table: str
    claim: str
    given_up: Callable[[Row, str, int], Event]
    attempt: Callable[[Row], Awaitable[Outcome]] | None = None
    attempt_many: Callable[[Sequence[Row]], Awaitable[Sequence[Outcome]]] | None = None
    settle: Callable[[asyncpg.Connection, Sequence[tuple[Row, Done]]], Awaitable[None]] | None \
        = None
    due_status: str = "pending"
    done_status: str = "done"
    reference_column: str | None = None
    retry: Retry = field(default_factory=Retry)
    batch_size: int = 20

    def __post_init__(self) -> None:
        for name in (self.table, self.reference_column or "id"):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"{name!r} is not a column or table name")
        if (self.attempt is None) == (self.attempt_many is None):
            raise ValueError(f"effect {self.name}: give exactly one of attempt, attempt_many")

    @property
    def channel(self) -> str:
        """The notification the table's insert trigger sends."""
        return self.table
