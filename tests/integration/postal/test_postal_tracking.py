"""A result by post, followed to the end: the order goes to the carrier once, its states come
back by webhook (confirmed by the carrier's detail, duplicates and late ones changing
nothing) or by the poll, and a failed, returned or lost parcel ends delivered or shipped
again. The real database and consumer, postal's edge and the sandbox carrier over real HTTP,
both clocks held by the test."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.postal.domain.s10 import is_s10
from shared.contracts.events import (
    ShipmentCreated,
    ShipmentFailed,
    ShipmentIncidentReported,
    ShipmentStatusChanged,
)
from tests.integration.postal.support import Dossier
from tests.support import script

pytestmark = pytest.mark.integration
WALK = ["picking", "picked", "storing", "transporting", "delivering"]


async def test_a_parcel_is_created_once_and_followed_to_delivered(postal) -> None:
    dossier = await Dossier(postal).decided()
    assert await postal.ship() == 1
    shipment = await dossier.shipment()
    assert (shipment["status"], shipment["carrier_status"]) == ("created", "ready_to_pick")
    assert is_s10(shipment["tracking_code"])
    assert shipment["client_order_code"] == f"{dossier.code}-1"
    assert shipment["postage"] == 16500
    assert await postal.ship() == 0

    await postal.advance(60)
    shipment = await dossier.shipment()
    assert (shipment["carrier_status"], shipment["received_by"]) == ("delivered", "Lê Thị Cúc")
    assert await dossier.statuses() == [*WALK, "delivered"]
    events = await dossier.events()
    assert isinstance(events[0], ShipmentCreated) and events[0].postage == 16500
    last = events[-1]
    assert isinstance(last, ShipmentStatusChanged)
    assert (last.previous_status, last.recipient_name, last.carrier) == (
        "delivering", "Lê Thị Cúc", "GHN")
    assert last.status_label_vi == "Đã giao bưu gửi thành công"
    ledger = postal.carrier.ledger()
    assert [o["client_order_code"] for o in ledger] == [f"{dossier.code}-1"]
    assert all(h["answers"] == [200] for h in ledger[0]["webhooks"])


async def test_a_lost_answer_to_create_does_not_ship_twice(postal) -> None:
    """The order was created but its answer lost (a timeout): the retry, same client order
    code, is answered with the order that exists."""
    dossier = await Dossier(postal).decided()
    await postal.ship()  # created at the carrier...
    first = await dossier.shipment()
    await postal.pool.execute("UPDATE shipment SET status = 'pending', tracking_code = NULL, "
                              "carrier_status = NULL WHERE id = $1", first["id"])
    assert await postal.ship() == 1  # ...and asked again, as after a crash before commit
    assert (await dossier.shipment())["tracking_code"] == first["tracking_code"]
    assert len(postal.carrier.ledger()) == 1


async def test_a_refused_order_fails_and_is_never_stored_as_created(postal) -> None:
    dossier = await Dossier(postal).decided()
    async with _sandbox(postal) as http:
        await script(http, "orders", f"{dossier.code}-1", ["refused"])
    assert await postal.ship() == 1
    shipment = await dossier.shipment()
    assert (shipment["status"], shipment["carrier_status"]) == ("failed", None)
    failed = (await dossier.events())[-1]
    assert isinstance(failed, ShipmentFailed)
    assert failed.reason == "the carrier refused: Địa chỉ giao hàng không được hỗ trợ"


async def test_a_failed_delivery_is_redelivered_at_the_citizens_request(postal) -> None:
    dossier = await Dossier(postal).decided("5 Hẻm 12 (fail)")
    await postal.ship()
    await postal.advance(120)
    assert (await dossier.shipment())["carrier_status"] == "delivery_fail"
    assert (await dossier.events())[-1].reason == "Người nhận không nghe máy"

    await dossier.choose("redeliver")
    await dossier.choose("redeliver")  # asked twice: one request each, the second refused
    assert await postal.ask_carrier() == 2
    await postal.advance(60)
    shipment = await dossier.shipment()
    assert (shipment["carrier_status"], shipment["attempt"]) == ("delivered", 1)
    assert await dossier.statuses() == [*WALK, "delivery_fail", "storing", "delivering",
                                        "delivered"]


async def test_a_citizen_who_collects_at_the_office_has_the_parcel_brought_back(postal
                                                                             ) -> None:
    dossier = await Dossier(postal).decided("5 Hẻm 12 (fail)")
    await postal.ship()
    await postal.advance(120)
    await dossier.choose("collect_at_office")
    assert await postal.ask_carrier() == 1
    await postal.advance(60)
    assert await dossier.statuses() == [*WALK, "delivery_fail", "waiting_to_return", "return",
                                        "returning", "returned"]
    await dossier.choose("collect_at_office")  # it is at the office: nothing more to ask
    assert await postal.ask_carrier() == 0
    assert len(await dossier.shipments()) == 1


async def test_a_returned_parcel_is_shipped_again_when_the_citizen_asks(postal) -> None:
    dossier = await Dossier(postal).decided("7 Ấp Thạnh Lộc (return)")
    await postal.ship()
    await postal.advance(300)
    assert await dossier.statuses() == [*WALK, "delivery_fail", "waiting_to_return", "return",
                                        "returning", "returned"]
    await dossier.choose("redeliver")
    assert await postal.ship() == 1
    first, second = await dossier.shipments()
    assert (first["carrier_status"], second["attempt"], second["client_order_code"]) == (
        "returned", 2, f"{dossier.code}-2")
    assert second["carrier_status"] == "ready_to_pick"


async def test_a_lost_parcel_is_an_incident_and_the_result_is_shipped_again(postal) -> None:
    dossier = await Dossier(postal).decided("9 Đường Lê Lợi (lost)")
    await postal.ship()
    await postal.advance(60)
    incident = next(e for e in await dossier.events()
                    if isinstance(e, ShipmentIncidentReported))
    assert (incident.status, incident.department_code, incident.reshipped_as) == (
        "lost", "tp", 2)
    assert await postal.ship() == 1
    codes = [o["client_order_code"] for o in postal.carrier.ledger()]
    assert codes == [f"{dossier.code}-1", f"{dossier.code}-2"]
    # The second parcel walks the same scenario (the keyword is in its address too):
    # it is lost as well, and a third is queued; nothing ships twice.
    await postal.advance(60)
    assert [s["attempt"] for s in await dossier.shipments()] == [1, 2, 3]


async def test_duplicate_webhooks_change_nothing(postal) -> None:
    postal.carrier.switches.duplicate_webhooks = True
    dossier = await Dossier(postal).decided()
    await postal.ship()
    await postal.advance(60)
    assert await dossier.statuses() == [*WALK, "delivered"]
    hooks = postal.carrier.ledger()[0]["webhooks"]
    assert len(hooks) == 14 and all(h["answers"] == [200] for h in hooks)


async def test_out_of_order_webhooks_never_move_a_parcel_backwards(postal) -> None:
    postal.carrier.switches.reverse_webhooks = True  # newest first
    dossier = await Dossier(postal).decided()
    await postal.ship()
    await postal.advance(60)
    assert (await dossier.shipment())["carrier_status"] == "delivered"
    assert await dossier.statuses() == ["delivered"]
    updates = await dossier.updates()
    assert updates[-1] == ("delivered", True)
    assert [applied for _, applied in updates[:-1]] == [False] * 6  # kept, not applied


async def test_a_webhook_not_answered_200_is_retried_5_s_later(postal) -> None:
    dossier = await Dossier(postal).decided()
    await postal.ship()
    url, postal.carrier.webhook_url = postal.carrier.webhook_url, f"{postal.edge_url}/nowhere"
    await postal.advance(10)  # ready_to_pick and picking, both answered 404
    postal.carrier.webhook_url = url
    await postal.advance(4)
    assert await dossier.statuses() == []
    await postal.advance(1)  # 5 s on: tried again
    assert await dossier.statuses() == ["picking"]
    hooks = postal.carrier.ledger()[0]["webhooks"]
    assert [h["answers"] for h in hooks] == [[404, 200], [404, 200]]


async def test_a_forged_webhook_is_refused(postal) -> None:
    dossier = await Dossier(postal).decided()
    await postal.ship()
    code = (await dossier.shipment())["tracking_code"]
    body = {"OrderCode": code, "ClientOrderCode": f"{dossier.code}-1", "Status": "delivered",
            "Time": "2030-01-01T00:00:00Z", "Type": "switch_status"}
    assert (await postal.webhook(body, token="guessed-" + "x" * 30)).status_code == 404
    assert (await postal.webhook(body, carrier="vnpost")).status_code == 404
    unconfirmed = await postal.webhook(body)  # the right token, but the detail has no such
    assert unconfirmed.status_code == 409, unconfirmed.text
    assert (await postal.webhook({"OrderCode": "EB12345678VN"})).status_code == 400
    assert (await dossier.shipment())["carrier_status"] == "ready_to_pick"
    assert await dossier.statuses() == []


async def test_the_poll_finds_what_lost_webhooks_did_not_tell(postal) -> None:
    postal.carrier.switches.drop_webhooks = True
    dossier = await Dossier(postal).decided()
    await postal.ship()
    await postal.advance(60)
    assert await postal.poll() == 0  # heard of it a moment ago
    assert await dossier.statuses() == []

    postal.clock.now += timedelta(hours=1, seconds=1)
    assert await postal.poll() == 1
    assert await dossier.statuses() == [*WALK, "delivered"]
    postal.clock.now += timedelta(hours=2)
    assert await postal.poll() == 0  # delivered: nothing more to ask


def _sandbox(postal):  # the sandbox carrier's own prefix, for its scripted answers
    import httpx

    base = str(postal.deps.carrier._client.base_url).rstrip("/")
    return httpx.AsyncClient(base_url=base.removesuffix("/shiip/public-api"), timeout=5)
