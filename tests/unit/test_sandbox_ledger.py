"""The sandboxes' read-only ledger, over real HTTP: what chaos checks count duplicates from."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from deploy.sandbox.app import create_app
from deploy.sandbox.carrier_api import DEV_SHOP
from deploy.sandbox.sms import DEV_ACCOUNT, SEND_PATH
from tests.support import serve_http


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    async with serve_http(create_app()) as url, httpx.AsyncClient(base_url=url,
                                                                  timeout=5) as client:
        yield client


async def test_the_ledger_lists_each_keyed_call_once(sandbox) -> None:
    """A retried order (same client order code) and a retried SMS (same RequestId) are one
    entry each: GHN refuses the code it has, eSMS answers 124 to the RequestId it has."""
    dossier, number = f"VTH-261202-{uuid.uuid4().int % 10**6:06d}", "0912345678"
    order = {"client_order_code": f"{dossier}-1", "to_name": "Lê Thị Cúc", "to_phone": number,
             "to_address": "12 Đường 3/2", "to_ward_name": "Xã Vĩnh Thạnh",
             "to_province_name": "Thành phố Cần Thơ", "weight": 200}
    text = {"ApiKey": DEV_ACCOUNT[0], "SecretKey": DEV_ACCOUNT[1], "Phone": number,
            "Content": "Ho so da duoc tiep nhan", "Brandname": "MOTCUA", "SmsType": "2",
            "IsUnicode": "0", "RequestId": str(uuid.uuid4())}
    shop = {"Token": DEV_SHOP[0], "ShopId": DEV_SHOP[1]}
    created, sent = [], []
    for _ in range(2):
        created.append((await sandbox.post("/carrier/shiip/public-api/v2/shipping-order/create",
                                           json=order, headers=shop)).json()["code"])
        sent.append((await sandbox.post(f"/sms{SEND_PATH}", json=text)).json()["CodeResult"])
    assert (created, sent) == ([200, 400], ["100", "124"])
    ledger = (await sandbox.get("/_sandbox/ledger")).json()
    assert set(ledger) == {"payments", "shipments", "sms"}
    mine = [s for s in ledger["shipments"] if s["reference"] == dossier]
    assert [(s["idempotency_key"], s["status"]) for s in mine] == [
        (f"{dossier}-1", "ready_to_pick")]
    texts = [m for m in ledger["sms"] if m["idempotency_key"] == text["RequestId"]]
    assert [(m["to"], m["text"]) for m in texts] == [(number, text["Content"])]


async def test_the_ledger_only_reads(sandbox) -> None:
    assert (await sandbox.post("/_sandbox/ledger")).status_code == 405


async def test_a_restarted_sandbox_comes_back_with_its_record(tmp_path) -> None:
    """With a state file, what the gateways recorded survives the process: the second app
    (a new process, as after kill -9) reads the charge, the parcel and the text the first
    one took, still refuses the keys it has seen, and goes on numbering after them."""
    from datetime import UTC, datetime, timedelta

    from deploy.sandbox.store import Store
    from deploy.sandbox.vnpay import DEV_MERCHANT, GMT7, VnpaySandbox
    from deploy.sandbox.vnpay_signing import signed_query

    state = tmp_path / "sandbox" / "state.sqlite3"
    dossier, number = f"VTH-261202-{uuid.uuid4().int % 10**6:06d}", "0912345678"
    order = {"client_order_code": f"{dossier}-1", "to_name": "Lê Thị Cúc", "to_phone": number,
             "to_address": "12 Đường 3/2", "to_ward_name": "Xã Vĩnh Thạnh",
             "to_province_name": "Thành phố Cần Thơ", "weight": 200}
    text = {"ApiKey": DEV_ACCOUNT[0], "SecretKey": DEV_ACCOUNT[1], "Phone": number,
            "Content": "Ho so da duoc tiep nhan", "Brandname": "MOTCUA", "SmsType": "2",
            "IsUnicode": "0", "RequestId": str(uuid.uuid4())}
    shop = {"Token": DEV_SHOP[0], "ShopId": DEV_SHOP[1]}
    expires = (datetime.now(UTC) + timedelta(minutes=15)).astimezone(GMT7)
    pay = signed_query({"vnp_Version": "2.1.0", "vnp_Command": "pay",
                        "vnp_TmnCode": DEV_MERCHANT[0], "vnp_Amount": "1000000",
                        "vnp_CurrCode": "VND", "vnp_TxnRef": f"{dossier}-1",
                        "vnp_OrderInfo": dossier, "vnp_Locale": "vn",
                        "vnp_ReturnUrl": "http://127.0.0.1:9/return",
                        "vnp_IpAddr": "127.0.0.1",
                        "vnp_CreateDate": expires.strftime("%Y%m%d%H%M%S"),
                        "vnp_ExpireDate": expires.strftime("%Y%m%d%H%M%S")}, DEV_MERCHANT[1])

    def sandbox() -> object:  # its IPNs go to a closed port: nobody here to hear them
        return create_app(VnpaySandbox("http://127.0.0.1:9/ipn"), store=Store(state))

    async with serve_http(sandbox()) as url, \
            httpx.AsyncClient(base_url=url, timeout=5) as first:
        assert (await first.get(f"/payment/paymentv2/vpcpay.html?{pay}")).status_code == 200
        paid = await first.post("/payment/paymentv2/bank", follow_redirects=False,
                                data={"vnp_TxnRef": f"{dossier}-1", "choice": "00"})
        assert paid.status_code == 303
        created = await first.post("/carrier/shiip/public-api/v2/shipping-order/create",
                                   json=order, headers=shop)
        assert created.json()["code"] == 200
        assert (await first.post(f"/sms{SEND_PATH}", json=text)).json()["CodeResult"] == "100"
        before = (await first.get("/_sandbox/ledger")).json()

    async with serve_http(sandbox()) as url, \
            httpx.AsyncClient(base_url=url, timeout=5) as second:
        after = (await second.get("/_sandbox/ledger")).json()
        assert after == before
        assert [p["status"] for p in after["payments"]] == ["00"]
        assert len(after["shipments"]) == 1 and len(after["sms"]) == 1
        again = await second.post("/carrier/shiip/public-api/v2/shipping-order/create",
                                  json=order, headers=shop)
        assert again.json()["code"] == 400  # the code it has: no second parcel
        assert (await second.post(f"/sms{SEND_PATH}", json=text)).json()["CodeResult"] == "124"
        other = await second.post("/carrier/shiip/public-api/v2/shipping-order/create",
                                  json={**order, "client_order_code": f"{dossier}-2"},
                                  headers=shop)
        tracking = {s["tracking_code"] for s in (await second.get("/_sandbox/ledger")).json()[
            "shipments"]}
        assert other.json()["code"] == 200 and len(tracking) == 2  # numbered after the first
