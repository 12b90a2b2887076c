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


LABELS_VI: dict[str, str] = {
    "ready_to_pick": "Chờ bưu tá đến lấy", "picking": "Bưu tá đang đến lấy",
    "picked": "Bưu tá đã nhận bưu gửi", "storing": "Bưu gửi đang ở kho",
    "sorting": "Bưu gửi đang được phân loại", "transporting": "Bưu gửi đang được vận chuyển",
    "delivering": "Bưu tá đang giao bưu gửi", "delivered": "Đã giao bưu gửi thành công",
    "delivery_fail": "Giao bưu gửi không thành công",
    "waiting_to_return": "Bưu gửi chờ chuyển hoàn về cơ quan",
    "return": "Bưu gửi được chuyển hoàn về cơ quan",
    "returning": "Bưu gửi đang được chuyển hoàn về cơ quan",
    "returned": "Bưu gửi đã được chuyển hoàn về cơ quan",
    "return_fail": "Chuyển hoàn bưu gửi không thành công", "cancel": "Đơn gửi đã bị hủy",
    "exception": "Bưu gửi gặp sự cố", "damage": "Bưu gửi bị hư hỏng",
    "lost": "Bưu gửi bị thất lạc",
}
"""What the citizen's timeline says of each state (Vietnamese, NFC)."""


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
