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
