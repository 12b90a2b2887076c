"""Sandbox payment gateway: every payment and refund succeeds at once. Idempotent by key
(the same key with a different body is a 409, as GOV.UK Pay does)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, Field

router = APIRouter(prefix="/payment", tags=["payment gateway (sandbox)"])
_payments: dict[str, dict[str, Any]] = {}
_refunds: dict[str, dict[str, Any]] = {}

IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key")]


class PaymentIn(BaseModel):
    amount: Decimal = Field(gt=0)
    currency: str = "VND"
    reference: str
    description: str = ""


class RefundIn(BaseModel):
    amount: Decimal = Field(gt=0)
    reference: str
    description: str = ""


def _replay(known: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    if known["request"] != request:
        raise HTTPException(409, "Idempotency-Key reused with a different body")
    response: dict[str, Any] = known["response"]
    return response


@router.post("/v1/payments")
async def create_payment(body: PaymentIn, idempotency_key: IdempotencyKey) -> dict[str, Any]:
    request = body.model_dump(mode="json")
    if (known := _payments.get(idempotency_key)) is not None:
        return _replay(known, request)
    response = {
        "id": f"SBX-PAY-{uuid.uuid4().hex[:12].upper()}",
        "status": "succeeded",
        "amount": str(body.amount),
        "reference": body.reference,
    }
    _payments[idempotency_key] = {"request": request, "response": response}
    return response


@router.post("/v1/payments/{payment_id}/refunds")
async def create_refund(payment_id: str, body: RefundIn,
                        idempotency_key: IdempotencyKey) -> dict[str, Any]:
    request = {**body.model_dump(mode="json"), "payment_id": payment_id}
    if (known := _refunds.get(idempotency_key)) is not None:
        return _replay(known, request)
    payment = next((p["response"] for p in _payments.values()
                    if p["response"]["id"] == payment_id), None)
    if payment is None:
        raise HTTPException(404, f"no payment {payment_id}")
    refunded = sum(Decimal(r["response"]["amount"]) for r in _refunds.values()
                   if r["request"]["payment_id"] == payment_id)
    if body.amount + refunded > Decimal(payment["amount"]):
        raise HTTPException(
            422, f"refund of {body.amount} exceeds what is left of the payment "
                 f"({Decimal(payment['amount']) - refunded})")
    response = {
        "id": f"SBX-REF-{uuid.uuid4().hex[:12].upper()}",
        "payment_id": payment_id,
        "status": "succeeded",
        "amount": str(body.amount),
        "reference": body.reference,
    }
    _refunds[idempotency_key] = {"request": request, "response": response}
    return response


@router.get("/v1/payments")
async def list_payments() -> list[dict[str, Any]]:
    return [p["response"] for p in _payments.values()]


@router.get("/v1/refunds")
async def list_refunds() -> list[dict[str, Any]]:
    return [r["response"] for r in _refunds.values()]
