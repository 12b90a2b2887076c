"""The sandboxes' switches, over real HTTP: a test scripts the next answers for its own
reference (pending, failed, an error, a timeout) and counts the calls; other references keep
the default answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from deploy.sandbox.app import create_app
from tests.support import serve_http

ORDER = {"to_name": "Lê Thị Cúc", "to_phone": "0912345678", "to_address": "12 Đường 3/2",
         "to_ward_name": "Xã Vĩnh Thạnh", "to_province_name": "Thành phố Cần Thơ",
         "weight": 200}
GHN = {"Token": "motcua-dev-ghn-token", "ShopId": "885"}  # the development shop


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    async with serve_http(create_app()) as url, httpx.AsyncClient(base_url=url,
                                                                  timeout=0.3) as client:
        yield client


async def test_an_unknown_answer_is_refused(sandbox) -> None:
    refused = await sandbox.put("/carrier/_sandbox/orders/R", json={"answers": ["maybe"]})
    assert refused.status_code == 422 and "maybe" in refused.json()["detail"]


@pytest.mark.parametrize(("answer", "code_message"),
                         [("refused", None), ("refused_retryable", "SERVICE_UNAVAILABLE")])
async def test_the_carrier_answers_as_scripted(sandbox, answer: str, code_message: str | None
                                               ) -> None:
    reference = f"R-{uuid.uuid4().hex[:6]}"
    await sandbox.put(f"/carrier/_sandbox/orders/{reference}", json={"answers": [answer]})
    create = "/carrier/shiip/public-api/v2/shipping-order/create"
    refused = await sandbox.post(create, json={**ORDER, "client_order_code": reference},
                                 headers=GHN)
    assert (refused.status_code, refused.json().get("code_message")) == (400, code_message)
    created = (await sandbox.post(create, json={**ORDER, "client_order_code": reference},
                                  headers=GHN)).json()
    assert created["code"] == 200 and created["data"]["order_code"].endswith("VN")
    assert (await sandbox.get(f"/carrier/_sandbox/orders/{reference}/calls")).json() == [
        answer, "default"]
    unsigned = await sandbox.post(create, json={**ORDER, "client_order_code": "other"})
    assert unsigned.status_code == 401


async def test_an_sms_answers_as_scripted(sandbox) -> None:
    await sandbox.put("/sms/_sandbox/messages/0912000111", json={"answers": ["103"]})
    sent = await sandbox.post("/sms/MainService.svc/json/SendMultipleMessage_V4_post_json/",
                              json={"ApiKey": "MOTCUA-DEV-APIKEY", "SecretKey": "MOTCUA-DEV-SECRET",
                                    "Phone": "0912000111", "Content": "Xin chao",
                                    "Brandname": "MOTCUA", "SmsType": "2", "RequestId": "m-1"})
    assert sent.json()["CodeResult"] == "103"
