"""A gateway sandbox's clock moved by two callers at once (its real-time tick and a test or
the bench) sends each due webhook once, and sends different parcels' webhooks concurrently
while keeping each parcel's in order. Over real HTTP, to a merchant that answers slowly."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request

from deploy.sandbox.carrier import CarrierSandbox
from deploy.sandbox.outbound import SEND_CONCURRENCY
from tests.support import serve_http

ORDER = {"to_name": "Lê Thị Cúc", "to_phone": "0912345678", "to_address": "12 Đường 3/2",
         "to_ward_name": "Xã Vĩnh Thạnh", "to_province_name": "Thành phố Cần Thơ"}
START = datetime(2026, 12, 2, 8, tzinfo=UTC)


def merchant() -> tuple[FastAPI, dict[str, list[str]], list[int]]:
    """A merchant's webhook endpoint, slow enough for calls to overlap, that records what
    it got per parcel and the most calls it had in flight at once."""
    app, got, in_flight = FastAPI(), defaultdict(list), [0, 0]  # now, most

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, str]:
        body = await request.json()
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        await asyncio.sleep(0.05)  # the merchant's work, not synchronisation
        in_flight[0] -= 1
        got[body["OrderCode"]].append(body["Status"])
        return {"ok": "1"}

    return app, got, in_flight


async def test_two_clock_moves_at_once_send_each_webhook_once_in_each_parcels_order() -> None:
    app, got, in_flight = merchant()
    async with serve_http(app) as url:
        carrier = CarrierSandbox(f"{url}/hook", step=timedelta(seconds=1), now=START)
        orders = [carrier.create({**ORDER, "client_order_code": f"D-{n}"}) for n in range(12)]
        # A test moves the clock three steps ahead while the tick moves it to the wall's.
        moved = await asyncio.gather(carrier.advance(3), carrier.advance(to=START))
        sent = Counter(status for statuses in got.values() for status in statuses)

    assert sum(moved) == 12 * 4, "ready_to_pick and three more states per parcel, each once"
    assert sent == {"ready_to_pick": 12, "picking": 12, "picked": 12, "storing": 12}
    for order in orders:
        assert got[order.order_code] == ["ready_to_pick", "picking", "picked", "storing"]
    assert 1 < in_flight[1] <= SEND_CONCURRENCY
