"""What postal's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.postal.adapters.carrier import Carrier
from shared.reference.catalog import Catalog, load_catalog
from shared.runtime.effects import Effect
from shared.runtime.outbox import Transactions


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PostalDeps:
    transactions: Transactions
    effects: tuple[Effect, ...]
    carrier: Carrier | None = None
    webhook_tokens: dict[str, str] = field(default_factory=dict)
    """Carrier (lower-cased name) -> the secret path token of its webhook."""
    poll_after: timedelta = timedelta(hours=6)
    poll_every_s: float = 60.0
    catalog: Catalog = field(default_factory=load_catalog)
    now: Callable[[], datetime] = utc_now
