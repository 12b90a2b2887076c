"""Refund rules are catalog data, validated at load; the sandbox gateway refunds like a real one
(idempotent by key, 409 on a reused key with another body, never more than was paid)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from deploy.sandbox import payment as sandbox
from shared.reference.catalog import load_catalog

VERSION = load_catalog("vinh-thanh-2024").version("vinh-thanh-2024.1")


def with_refund_on(value: object) -> dict[str, object]:
    data = VERSION.model_dump()
    data["procedures"][0]["refund_on"] = value
    return data


def test_by_default_a_withdrawal_or_refusal_at_intake_refunds_and_a_stop_does_not() -> None:
    procedure = VERSION.procedure("2.002189")
    assert procedure is not None
    assert set(procedure.refund_on) == {"withdrawn", "refused_at_intake"}


@pytest.mark.parametrize("bad", [["decided"], ["withdrawn", "withdrawn"]])
def test_an_unknown_or_repeated_refund_cause_is_refused_at_load(bad: list[str]) -> None:
    with pytest.raises(ValidationError, match="refund_on"):
        type(VERSION).model_validate(with_refund_on(bad))


@pytest.fixture
async def gateway():
    app = FastAPI()
    app.include_router(sandbox.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://sbx/payment") as client:
        yield client


async def test_sandbox_refunds_once_per_key_and_never_more_than_the_payment(gateway) -> None:
    key = {"Idempotency-Key": str(uuid.uuid4())}
    paid = (await gateway.post("/v1/payments", json={"amount": "75000", "reference": "R1"},
                               headers=key)).json()
    refunds = f"/v1/payments/{paid['id']}/refunds"
    body = {"amount": "50000", "reference": "R1"}
    refund_key = {"Idempotency-Key": str(uuid.uuid4())}

    first = await gateway.post(refunds, json=body, headers=refund_key)
    again = await gateway.post(refunds, json=body, headers=refund_key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["status"] == "succeeded"

    other_body = await gateway.post(refunds, json={**body, "amount": "1000"}, headers=refund_key)
    assert other_body.status_code == 409
    too_much = await gateway.post(refunds, json=body, headers={"Idempotency-Key": "another"})
    assert too_much.status_code == 422 and "25000" in too_much.json()["detail"]
    unknown = await gateway.post("/v1/payments/SBX-PAY-NONE/refunds", json=body,
                                 headers={"Idempotency-Key": str(uuid.uuid4())})
    assert unknown.status_code == 404
