"""Sandbox carrier, GHN v2 shaped (``carrier_api`` has its routes), as rude as the real one.

- Orders walk GHN's state graph on the sandbox's clock, one state every ``step`` (the
  ``SANDBOX_CARRIER_STEP_S`` setting, 8 s by default: under ``make run`` a parcel is
  delivered within a minute). Tests move the clock: ``POST /carrier/_sandbox/ghn/clock
  {"advance_s": 60}``; ``python -m deploy.sandbox`` follows real time.
- Scenarios, by a keyword in the address line (``to_address``):
  none: ready_to_pick → picking → picked → storing → transporting → delivering → delivered;
  ``fail``: … → delivering → delivery_fail, and it waits there; a redelivery
  (switch-status/storing) then goes storing → delivering → delivered, a return
  (switch-status/return) waiting_to_return → return → returning → returned;
  ``return``: … → delivery_fail → waiting_to_return → return → returning → returned;
  ``lost``: … → storing → lost; ``damage``: … → storing → damage.
  Every order's tracking code is a UPU S10 number (``EB00000001?VN``).
- Webhooks: each state is POSTed to the shop's webhook URL (``SANDBOX_CARRIER_WEBHOOK_URL``,
  or ``PUT …/_sandbox/ghn/webhook {"url": …}``) as GHN does: JSON, unsigned; anything but
  HTTP 200 is retried, 10 tries, 5 s apart on the sandbox's clock.
- Switches, ``PUT /carrier/_sandbox/ghn/switches``: ``duplicate_webhooks`` (each one twice),
  ``reverse_webhooks`` (the webhooks due at one tick are sent newest first: out of order),
  ``drop_webhooks`` (none sent: only a poll of the detail finds the states).
- The create answers, per client order code (``deploy.sandbox.script``, kind ``orders``):
  ``refused`` (400, the address cannot be served), ``refused_retryable`` (400,
  SERVICE_UNAVAILABLE), ``error`` (503), ``timeout``.
- ``GET /carrier/_sandbox/ghn/ledger``: every order created, with its log and its webhooks'
  tries and answers (for checks that nothing was shipped twice).
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from deploy.sandbox.outbound import Clock, Outbound, send_in_groups

RETRY_EVERY, TRIES = timedelta(seconds=5), 10
PICKUP = ("ready_to_pick", "picking", "picked", "storing")
TO_DOOR = ("transporting", "delivering")
SCENARIOS: dict[str, tuple[str, ...]] = {
    "lost": (*PICKUP, "lost"),
    "damage": (*PICKUP, "damage"),
    "return": (*PICKUP, *TO_DOOR, "delivery_fail", "waiting_to_return", "return", "returning",
               "returned"),
    "fail": (*PICKUP, *TO_DOOR, "delivery_fail"),
}
DELIVERED = (*PICKUP, *TO_DOOR, "delivered")
REDELIVERY = ("storing", "delivering", "delivered")
RETURN = ("waiting_to_return", "return", "returning", "returned")
REASONS = {"delivery_fail": "Người nhận không nghe máy", "lost": "Thất lạc tại kho trung chuyển",
           "damage": "Bưu gửi bị hư hỏng khi vận chuyển", "returned": "Đã hoàn về người gửi"}
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10(serial: int, service: str = "EB", country: str = "VN") -> str:
    """The carrier issues UPU S10 numbers (the check digit: mod 11, 10 → 0, 11 → 5)."""
    digits = f"{serial:08d}"
    check = 11 - sum(w * int(d) for w, d in zip(_WEIGHTS, digits, strict=True)) % 11
    return f"{service}{digits}{ {10: 0, 11: 5}.get(check, check)}{country}"


def scenario_of(address: str) -> tuple[str, ...]:
    lowered = address.lower()
    return next((path for word, path in SCENARIOS.items() if word in lowered), DELIVERED)


@dataclass
class Order:
    order_code: str
    request: dict[str, Any]
    fee: int
    plan: deque[str]
    next_at: datetime
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.log[-1]["status"])

    def detail(self) -> dict[str, Any]:
        return {"order_code": self.order_code,
                "client_order_code": self.request["client_order_code"],
                "status": self.status, "to_name": self.request["to_name"],
                "to_address": self.request["to_address"], "total_fee": self.fee,
                "log": list(self.log)}


@dataclass
class Webhook:
    body: dict[str, Any]
    due_at: datetime
    tries: int = 0
    answers: list[int] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return (not self.answers or self.answers[-1] != 200) and self.tries < TRIES


@dataclass
class Switches:
    duplicate_webhooks: bool = False
    reverse_webhooks: bool = False
    drop_webhooks: bool = False


class CarrierSandbox:
    def __init__(self, webhook_url: str | None = None, *, step: timedelta | None = None,
                 now: datetime | None = None) -> None:
        self.webhook_url = webhook_url
        self._outbound = Outbound(timeout_s=10)  # one client for the gateway's life
        self._clock = Clock()
        self.step = step or timedelta(seconds=8)
        self.now = now or datetime.now(UTC)
        self.switches = Switches()
        self.orders: dict[str, Order] = {}
        self.by_client_code: dict[str, str] = {}
        self.webhooks: list[Webhook] = []
        self._serials = itertools.count(1)

    @classmethod
    def from_env(cls) -> CarrierSandbox:
        return cls(os.environ.get("SANDBOX_CARRIER_WEBHOOK_URL"),
                   step=timedelta(seconds=float(os.environ.get("SANDBOX_CARRIER_STEP_S", "8"))))

    @staticmethod
    def fee_of(request: dict[str, Any]) -> int:
        """Postage (VND): a base rate and 5 000 per 500 g above the first."""
        weight = int(request.get("weight") or 200)
        return 16500 + 5000 * max(0, (weight - 1) // 500)

    def create(self, request: dict[str, Any]) -> Order:
        serial = next(self._serials)
        order = Order(s10(serial), request, self.fee_of(request),
                      deque(scenario_of(str(request["to_address"]))), self.now)
        self.orders[order.order_code] = order
        self.by_client_code[str(request["client_order_code"])] = order.order_code
        self._walk(order, self.now)  # ready_to_pick at once
        return order

    def switch(self, order: Order, to: str) -> str | None:
        """A redelivery (``storing``) or return; the reason it is refused, or None."""
        allowed = {"storing": ("delivery_fail", "waiting_to_return"),
                   "return": ("delivery_fail", "waiting_to_return"),
                   "cancel": ("ready_to_pick", "picking")}[to]
        if order.status not in allowed:
            return f"Không thể chuyển trạng thái từ {order.status}"
        plan = {"storing": REDELIVERY, "return": RETURN, "cancel": ("cancel",)}[to]
        start = 1 if to == "return" and order.status == "waiting_to_return" else 0
        order.plan = deque(plan[start:])
        order.next_at = self.now
        self._walk(order, self.now)
        return None

    def _walk(self, order: Order, at: datetime) -> None:
        status = order.plan.popleft()
        entry: dict[str, Any] = {"status": status, "updated_date": at.isoformat()}
        if status in REASONS:
            entry["reason"] = REASONS[status]
        if status == "delivered":
            entry["receiver_name"] = order.request["to_name"]
        order.log.append(entry)
        order.next_at = at + self.step
        body = {"Type": "switch_status", "OrderCode": order.order_code,
                "ClientOrderCode": order.request["client_order_code"], "Status": status,
                "Time": entry["updated_date"], "Reason": entry.get("reason", ""),
                "Fee": {"MainService": order.fee}, "TotalFee": order.fee, "CODAmount": 0,
                "ShopID": order.request.get("_shop_id")}
        copies = 2 if self.switches.duplicate_webhooks else 1
        self.webhooks += [Webhook(dict(body), at) for _ in range(copies)]

    async def advance(self, seconds: float = 0, *, to: datetime | None = None) -> int:
        """Move the clock: each order takes the states now due (each at its own time), then
        the webhooks due are sent (again, for those not yet answered 200): the parcels'
        concurrently, each parcel's in order."""
        async with self._clock.moving:
            self.now = self._clock.moved(self.now, seconds, to)
            for order in self.orders.values():
                while order.plan and order.next_at <= self.now:
                    self._walk(order, order.next_at)
            due = [w for w in self.webhooks if w.open and w.due_at <= self.now]
            if self.switches.drop_webhooks:
                for webhook in due:
                    webhook.tries = TRIES
                return 0
            await send_in_groups(reversed(due) if self.switches.reverse_webhooks else due,
                                 lambda w: w.body["OrderCode"], self._send)
            return len(due)

    async def _send(self, webhook: Webhook) -> None:
        webhook.tries += 1
        webhook.due_at = self.now + RETRY_EVERY
        if self.webhook_url is None:
            webhook.answers.append(0)
            return
        try:
            client = self._outbound()
            answer = (await client.post(self.webhook_url, json=webhook.body)).status_code
        except httpx.HTTPError:
            answer = 0
        webhook.answers.append(answer)

    def ledger(self) -> list[dict[str, Any]]:
        hooks: dict[str, list[dict[str, Any]]] = {}
        for w in self.webhooks:
            hooks.setdefault(w.body["OrderCode"], []).append(
                {"status": w.body["Status"], "tries": w.tries, "answers": w.answers})
        return [{**o.detail(), "webhooks": hooks.get(o.order_code, [])}
                for o in self.orders.values()]
