"""What payment's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.reference.catalog import Catalog
from shared.runtime.effects import Effect
from shared.runtime.outbox import Transactions


@dataclass(frozen=True)
class PaymentDeps:
    transactions: Transactions
    catalog: Catalog
    effects: tuple[Effect, ...]
