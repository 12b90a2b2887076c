"""The legs that leave the system, checked from where they land: fees settled by the gateway's
IPN (payment's orders, ``settled_by``), parcels delivered as the carrier's webhooks said
(postal's shipments, and the carrier sandbox's own ledger of webhooks and their answers), SMS
reported delivered by the SMS gateway (notification's messages and their status changes).

The bench moves the carrier's and the SMS gateway's clocks itself (``LANES``, through their
control endpoints) and sets postal's poll past the run (``POSTAL_POLL_AFTER_S``), so every
parcel is delivered within the run, postal learns every state from a webhook, and every SMS
gets its delivery report.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg
import httpx

from shared.runtime.settings import with_database

CARRIER_STEP_S = 1.0
"""``SANDBOX_CARRIER_STEP_S`` for the bench's stack: a parcel takes one carrier state per
second of the carrier's clock (8 s under ``make run``), so transit, days on a real carrier,
does not weigh on the system's time."""
POSTAL_POLL_AFTER_S = 3600
"""Postal asks the carrier about a parcel it has not heard of for this long: set past the run,
so every state postal records came by webhook."""
LANES = {"carrier": ("/carrier/_sandbox/ghn/clock", 10.0),
         "sms": ("/sms/_sandbox/esms/clock", 3.0)}
"""The clocks the bench moves, and by how much each time (about once a second): the carrier's
10 s (more than the six states a parcel has left after ``ready_to_pick``: each parcel is
delivered, and its webhooks due, at the first move after its order), the SMS gateway's 3 s
(its delivery-report delay).

Why the bench moves them: ``python -m deploy.sandbox`` moves every gateway's clock to the
wall clock from ONE loop each second (``deploy/sandbox/app.py``), which sends every due IPN,
then every carrier webhook, then every SMS report, one after another, each through a new
``httpx.AsyncClient`` (a new SSL context: py-spy caught the loop in
``ssl.create_default_context``). At the national day's volume that loop fell minutes behind
(a 60-dossier run: no parcel webhook sent 8 minutes after its order, 419 SMS reports due and
unsent) and the legs measured the sandbox, not the system. Each control call here runs its
gateway's sends in its own request, beside that loop; a webhook or report that both send is
sent twice, which GHN and eSMS do too and postal and notification take as duplicates. The
sandbox's tick sets the clocks back to the wall clock when it comes round; the next moves
catch up (10 s ahead per move against 1 s of wall clock). One call per clock in flight at a
time: an earlier version re-posted after a 60 s client timeout and piled up senders (each
webhook sent up to five times)."""




class Lanes:
    """Moves the carrier's and the SMS gateway's clocks while the bench runs."""

    def __init__(self, sandbox_url: str) -> None:
        self._url = sandbox_url
        self.moves: dict[str, int] = dict.fromkeys(LANES, 0)
        self.errors: list[str] = []

    async def run(self, lane: str) -> None:
        path, advance_s = LANES[lane]
        async with httpx.AsyncClient(base_url=self._url, timeout=None) as http:  # noqa: S113
            while True:
                try:
                    (await http.post(path, json={"advance_s": advance_s})).raise_for_status()
                    self.moves[lane] += 1
                except httpx.HTTPError as error:
                    self.errors.append(f"{lane}: {type(error).__name__} {error}"[:200])
                await asyncio.sleep(1.0)  # the pace of the clock, not synchronisation


@contextlib.asynccontextmanager
async def moving_clocks(sandbox_url: str) -> AsyncIterator[Lanes]:
    lanes = Lanes(sandbox_url)
    tasks = [asyncio.create_task(lanes.run(lane)) for lane in LANES]
    try:
        yield lanes
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _fetch(server_url: str, service: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(with_database(server_url, f"mot_cua_{service}"))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def _epoch(at: datetime | None) -> float | None:
    return at.timestamp() if at is not None else None


async def fees(server_url: str, codes: Sequence[str]) -> dict[str, Any]:
    """The fees of these dossiers: how many, how many paid, and by whose word each paying
    order was settled (``ipn``: the gateway's IPN; ``querydr``: payment had to ask)."""
    (row,) = await _fetch(server_url, "payment", """
        SELECT count(*) AS fees, count(*) FILTER (WHERE status = 'completed') AS paid
          FROM payment WHERE dossier_code = ANY($1::text[])""", list(codes))
    settled = await _fetch(server_url, "payment", """
        SELECT coalesce(o.settled_by, 'unsettled') AS settled_by, count(*) AS orders,
               max(o.settled_at) AS last
          FROM payment_order o JOIN payment p ON p.id = o.payment_id
         WHERE p.dossier_code = ANY($1::text[]) AND o.state = 'succeeded'
         GROUP BY 1""", list(codes))
    by = {r["settled_by"]: r["orders"] for r in settled}
    last = max((r["last"] for r in settled if r["last"] is not None), default=None)
    return {"fees": row["fees"], "paid": row["paid"], "paid_by_ipn": by.get("ipn", 0),
            "settled_by": by, "last_paid_at": _epoch(last)}


async def parcels(server_url: str, codes: Sequence[str]) -> dict[str, Any]:
    """The shipments of these dossiers: how many, how many the carrier delivered."""
    (row,) = await _fetch(server_url, "postal", """
        SELECT count(*) AS shipments,
               count(*) FILTER (WHERE s.carrier_status = 'delivered') AS delivered,
               max(u.received_at) AS last
          FROM shipment s
          LEFT JOIN shipment_update u ON u.shipment_id = s.id AND u.status = 'delivered'
         WHERE s.dossier_code = ANY($1::text[])""", list(codes))
    return {"shipments": row["shipments"], "delivered": row["delivered"],
            "last_delivered_at": _epoch(row["last"])}


async def texts(server_url: str, codes: Sequence[str]) -> dict[str, Any]:
    """The SMS of these dossiers: how many, by delivery status, and the last report's time."""
    rows = await _fetch(server_url, "notification", """
        SELECT m.delivery_status, count(*) AS n, max(c.at) AS last
          FROM message m
          LEFT JOIN message_status_change c ON c.message_id = m.id AND c.status = 'delivered'
         WHERE m.channel = 'sms' AND m.dossier_code = ANY($1::text[])
         GROUP BY 1""", list(codes))
    by = {r["delivery_status"]: r["n"] for r in rows}
    last = max((r["last"] for r in rows if r["last"] is not None), default=None)
    return {"sms": sum(by.values()), "delivered": by.get("delivered", 0), "by_status": by,
            "last_delivered_at": _epoch(last)}


async def carrier_ledger(sandbox_url: str, codes: Sequence[str]) -> dict[str, Any]:
    """What the carrier sandbox says of these dossiers' parcels: orders, delivered, and how
    many of the delivered ones postal acknowledged (HTTP 200) the ``delivered`` webhook of."""
    wanted = set(codes)
    async with httpx.AsyncClient(timeout=60) as http:
        orders = (await http.get(f"{sandbox_url}/carrier/_sandbox/ghn/ledger")).json()
    mine = [o for o in orders if o["client_order_code"].rsplit("-", 1)[0] in wanted]
    hooks = [w for o in mine for w in o["webhooks"]]
    return {
        "orders": len(mine),
        "delivered": sum(1 for o in mine if o["status"] == "delivered"),
        "delivered_webhook_acknowledged": sum(
            1 for o in mine if any(w["status"] == "delivered" and 200 in w["answers"]
                                   for w in o["webhooks"])),
        "webhooks": len(hooks), "webhook_tries": sum(w["tries"] for w in hooks),
        "webhooks_unanswered": sum(1 for w in hooks if 200 not in w["answers"]),
    }


async def sms_ledger(sandbox_url: str) -> dict[str, Any]:
    """The SMS gateway sandbox's own count for the whole run (every scenario): accepted
    texts, delivery reports sent, and those the callback answered 200."""
    async with httpx.AsyncClient(timeout=60) as http:
        view = (await http.get(f"{sandbox_url}/sms/_sandbox/esms/ledger")).json()
    reports = view["reports"]
    return {"accepted": sum(1 for r in view["requests"] if r["code"] == "100"),
            "requests": len(view["requests"]),
            "reports_delivered_status": sum(1 for r in reports if r["send_status"] == "5"),
            "reports_acknowledged": sum(1 for r in reports if "200" in r["answers"]),
            "reports_not_sent_yet": sum(1 for r in reports if r["tries"] == 0)}


def complete(legs: dict[str, Any], *, fees_expected: int, postal_expected: int) -> bool:
    """Every fee paid, every parcel delivered, every SMS reported delivered (and at least one
    SMS: a run where notification sent none is not complete, it is broken)."""
    fee, parcel, sms = legs["fees"], legs["parcels"], legs["sms"]
    return (fee["paid"] >= fees_expected and fee["paid"] == fee["fees"]
            and parcel["delivered"] >= postal_expected
            and parcel["delivered"] == parcel["shipments"]
            and sms["sms"] > 0 and sms["delivered"] == sms["sms"])


async def legs_of(server_url: str, codes: Sequence[str]) -> dict[str, Any]:
    return {"fees": await fees(server_url, codes), "parcels": await parcels(server_url, codes),
            "sms": await texts(server_url, codes)}


async def consumer_lag(service_url: str, group: str) -> float | None:
    """The records ``group`` has not read yet, summed over partitions (from the service's
    ``/metrics``); None when the service does not report it."""
    async with httpx.AsyncClient(base_url=service_url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    lags = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("kafka_consumer_lag{") and f'group="{group}"' in line]
    return sum(lags) if lags else None
