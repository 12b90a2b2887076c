"""What notification's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.runtime.effects import Effect
from shared.runtime.outbox import Transactions


@dataclass(frozen=True)
class NotificationDeps:
    transactions: Transactions
    effects: tuple[Effect, ...]
