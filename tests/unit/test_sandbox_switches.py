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

SHIPMENT = {"recipient_name": "Lê Thị Cúc", "recipient_phone": "0912345678",
            "address": "12 Đường 3/2, Cần Thơ"}


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    async with serve_http(create_app()) as url, httpx.AsyncClient(base_url=url,
                                                                  timeout=0.3) as client:
        yield client


async def test_an_unknown_answer_is_refused(sandbox) -> None:
    refused = await sandbox.put("/carrier/_sandbox/shipments/R", json={"answers": ["maybe"]})
    assert refused.status_code == 422 and "maybe" in refused.json()["detail"]


@pytest.mark.parametrize(("answer", "status", "retryable"),
                         [("failed", "failed", False), ("failed_retryable", "failed", True),
                          ("pending", "pending", None), ("created", "created", None)])
async def test_the_carrier_answers_as_scripted(sandbox, answer: str, status: str,
                                               retryable: bool | None) -> None:
    reference = f"R-{uuid.uuid4().hex[:6]}"
    await sandbox.put(f"/carrier/_sandbox/shipments/{reference}", json={"answers": [answer]})
    shipped = (await sandbox.post("/carrier/v1/shipments",
                                  json={**SHIPMENT, "reference": reference},
                                  headers={"Idempotency-Key": reference})).json()
    assert (shipped["status"], shipped.get("retryable")) == (status, retryable)
    assert shipped["tracking_code"].startswith("EB")


async def test_an_sms_answers_as_scripted(sandbox) -> None:
    await sandbox.put("/sms/_sandbox/messages/0912000111", json={"answers": ["103"]})
    sent = await sandbox.post("/sms/MainService.svc/json/SendMultipleMessage_V4_post_json/",
                              json={"ApiKey": "MOTCUA-DEV-APIKEY", "SecretKey": "MOTCUA-DEV-SECRET",
                                    "Phone": "0912000111", "Content": "Xin chao",
                                    "Brandname": "MOTCUA", "SmsType": "2", "RequestId": "m-1"})
    assert sent.json()["CodeResult"] == "103"
