"""What postal needs of a carrier, whoever it is: the port. ``adapters.ghn`` speaks GHN's v2
API; a VNPost EMS adapter implements the same :class:`Carrier` next to it (its webhook's
``ems-transaction`` header is its update's key, its ``datetime`` the update's time).

Answers are values: a refusal is :class:`Refused` (``retryable`` when asking later may
help). A carrier that is down, times out, or answers what its protocol does not allow raises
:class:`CarrierUnavailable` (or an ``httpx`` error): the caller retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from services.postal.domain.tracking import Update


class CarrierUnavailable(Exception):
    """The carrier did not answer, or answered outside its protocol: ask again later."""


@dataclass(frozen=True)
class Parcel:
    """One order: the result to the recipient, under our client order code."""

    client_order_code: str
    to_name: str
    to_phone: str
    to_address: str
    to_ward_name: str
    to_province_name: str
    to_district_name: str | None = None
    to_ward_code: str | None = None
    to_district_code: str | None = None
    weight_g: int = 200
    content: str = "Kết quả giải quyết thủ tục hành chính"
    note: str = ""


@dataclass(frozen=True)
class Created:
    tracking_code: str
    fee: Decimal | None = None


@dataclass(frozen=True)
class Refused:
    reason: str
    retryable: bool = False


@dataclass(frozen=True)
class Detail:
    """The carrier's order as it is now, with the log of its states."""

    tracking_code: str
    client_order_code: str | None
    status: str
    updates: tuple[Update, ...]

    def confirms(self, update: Update) -> Update | None:
        """The carrier's own record of ``update`` (same state, same time to the second), or
        None: a webhook the detail does not confirm does not count."""
        for known in self.updates:
            if known.status == update.status and abs((known.at - update.at).total_seconds()) < 1:
                return known
        return None


@dataclass(frozen=True)
class WebhookUpdate:
    tracking_code: str
    client_order_code: str | None
    update: Update


class Carrier(Protocol):
    name: str

    async def preview(self, parcel: Parcel) -> Decimal:
        """The fee the carrier would charge for ``parcel`` (VND), creating nothing."""

    async def create(self, parcel: Parcel) -> Created | Refused:
        """Create the order, once per client order code: a second call with the same code
        answers the order the first one created."""

    async def detail(self, tracking_code: str) -> Detail | None:
        """The order, or None when the carrier has no such order."""

    async def redeliver(self, tracking_code: str) -> Refused | None:
        """Ask for another delivery (only from ``delivery_fail`` or ``waiting_to_return``)."""

    async def return_to_sender(self, tracking_code: str) -> Refused | None:
        """Bring the parcel back to the office instead of delivering it again."""

    async def cancel(self, tracking_code: str) -> Refused | None:
        """Cancel an order not yet picked up."""

    def webhook_update(self, body: Any, headers: dict[str, str]) -> WebhookUpdate:
        """The update a webhook carries; ValueError when it is not one."""
