"""What reporting's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import asyncpg

from shared.reference.workdays import WorkingCalendar
from shared.runtime.outbox import Transactions


@dataclass(frozen=True)
class ReportingDeps:
    pool: asyncpg.Pool
    transactions: Transactions
    calendar: WorkingCalendar
    today: Callable[[], date]
    """Today's business date: "at risk / overdue now" are counted against it."""
