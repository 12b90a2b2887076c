"""A parcel's tracking, no I/O: which carrier update moves a shipment, and what follows.

Updates arrive late, twice, and out of order (VNPost says so; GHN retries a webhook ten
times). Each is ordered by its own time: one older than the shipment's current state is kept
but moves nothing, and no update moves a shipment out of a final state. So a late
``delivering`` never undoes ``delivered``, and a replayed ``picked`` never undoes
``delivery_fail``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import get_args

from shared.contracts.types import ShipmentStatus

STATUSES: frozenset[str] = frozenset(get_args(ShipmentStatus))
FINAL: frozenset[str] = frozenset({"delivered", "returned", "lost", "damage", "cancel"})
"""After these the carrier has nothing more to do with the parcel."""
INCIDENTS: frozenset[str] = frozenset({"lost", "damage"})
"""The carrier lost or broke the result: the department is told, the result shipped again."""
REDELIVERABLE: frozenset[str] = frozenset({"delivery_fail", "waiting_to_return"})
"""GHN allows a redelivery (switch-status/storing) only from these."""


@dataclass(frozen=True)
class Update:
    """One state of a parcel, as the carrier reported it, at the carrier's own time."""

    status: ShipmentStatus
    at: datetime
    reason: str | None = None
    recipient_name: str | None = None


def moves(current: str | None, current_at: datetime | None, update: Update) -> bool:
    """Whether ``update`` changes a shipment now in ``current`` (as of ``current_at``)."""
    if current in FINAL:
        return False
    if current_at is not None and update.at <= current_at:
        return False  # late: the shipment is already past it
    return update.status != current


def in_order(updates: list[Update]) -> list[Update]:
    return sorted(updates, key=lambda u: u.at)
