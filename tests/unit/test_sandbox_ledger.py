"""The sandboxes' read-only ledger, over real HTTP: what chaos checks count duplicates from."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from deploy.sandbox.app import create_app
from tests.support import serve_http


@pytest.fixture
async def sandbox() -> AsyncIterator[httpx.AsyncClient]:
    async with serve_http(create_app()) as url, httpx.AsyncClient(base_url=url,
                                                                  timeout=5) as client:
        yield client


async def test_the_ledger_lists_each_keyed_call_once(sandbox) -> None:
    reference, number = f"R-{uuid.uuid4().hex[:6]}", "0912345678"
    shipment = {"reference": reference, "recipient_name": "Lê Thị Cúc",
                "recipient_phone": number, "address": "12 Đường 3/2, Cần Thơ"}
    ship_key, sms_key = f"ship-{uuid.uuid4()}", f"sms-{uuid.uuid4()}"
    for _ in range(2):  # a retry with the same key is the same shipment, the same message
        assert (await sandbox.post("/carrier/v1/shipments", json=shipment,
                                   headers={"Idempotency-Key": ship_key})).status_code == 200
        assert (await sandbox.post("/sms/v1/messages", json={"to": number, "text": "Hồ sơ"},
                                   headers={"Idempotency-Key": sms_key})).status_code == 200
    ledger = (await sandbox.get("/_sandbox/ledger")).json()
    assert set(ledger) == {"payments", "shipments", "sms"}
    mine = [s for s in ledger["shipments"] if s["reference"] == reference]
    assert [(s["idempotency_key"], s["status"]) for s in mine] == [(ship_key, "delivered")]
    texts = [m for m in ledger["sms"] if m["idempotency_key"] == sms_key]
    assert [(m["to"], m["text"]) for m in texts] == [(number, "Hồ sơ")]


async def test_the_ledger_only_reads(sandbox) -> None:
    assert (await sandbox.post("/_sandbox/ledger")).status_code == 405
