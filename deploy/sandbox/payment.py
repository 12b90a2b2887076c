"""Sandbox payment gateway. Idempotent by key: the first call with a key creates the payment
(or refund), a later one answers it as it is now, with the same id; the same key with a
different body is a 409, as GOV.UK Pay does. By default every payment and refund succeeds.

Switches (see :mod:`deploy.sandbox.script`), per reference (the dossier code):

- ``PUT /payment/_sandbox/payments/{reference}`` ``{"answers": [...]}``: the next charges of
  that reference answer ``succeeded``, ``pending`` (at the bank: ask again later) or
  ``failed`` (declined), ``error`` (503) or ``timeout``. A scripted status on a repeated call
  changes the payment's status first: ``["pending", "succeeded"]`` is a payment that the bank
  settles on the second call with its key.
- ``PUT /payment/_sandbox/refunds/{reference}``: the same for refunds.
- ``GET /payment/_sandbox/payments/{reference}/calls`` (and ``refunds``): one entry per call.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request
from pydantic import BaseModel, Field

from deploy.sandbox.script import Script

router = APIRouter(prefix="/payment", tags=["payment gateway (sandbox)"])
_payments: dict[str, dict[str, Any]] = {}
_refunds: dict[str, dict[str, Any]] = {}
STATUSES = ("succeeded", "pending", "failed")
payment_script = Script("payments", STATUSES)
refund_script = Script("refunds", STATUSES)
router.include_router(payment_script.router())
router.include_router(refund_script.router())

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


def _replay(known: dict[str, Any], request: dict[str, Any],
            status: str | None) -> dict[str, Any]:
    if known["request"] != request:
        raise HTTPException(409, "Idempotency-Key reused with a different body")
    response: dict[str, Any] = known["response"]
    if status is not None:
        response["status"] = status
    return response


@router.post("/v1/payments")
async def create_payment(body: PaymentIn, idempotency_key: IdempotencyKey,
                         http: Request) -> dict[str, Any]:
    request = body.model_dump(mode="json")
    status = await payment_script.take(body.reference, http)
    if (known := _payments.get(idempotency_key)) is not None:
        return _replay(known, request, status)
    response = {
        "id": f"SBX-PAY-{uuid.uuid4().hex[:12].upper()}",
        "status": status or "succeeded",
        "amount": str(body.amount),
        "reference": body.reference,
    }
    _payments[idempotency_key] = {"request": request, "response": response}
    return response


@router.post("/v1/payments/{payment_id}/refunds")
async def create_refund(payment_id: str, body: RefundIn, idempotency_key: IdempotencyKey,
                        http: Request) -> dict[str, Any]:
    request = {**body.model_dump(mode="json"), "payment_id": payment_id}
    status = await refund_script.take(body.reference, http)
    if (known := _refunds.get(idempotency_key)) is not None:
        return _replay(known, request, status)
    payment = next((p["response"] for p in _payments.values()
                    if p["response"]["id"] == payment_id), None)
    if payment is None:
        raise HTTPException(404, f"no payment {payment_id}")
    refunded = sum(Decimal(r["response"]["amount"]) for r in _refunds.values()
                   if r["request"]["payment_id"] == payment_id
                   and r["response"]["status"] != "failed")
    if body.amount + refunded > Decimal(payment["amount"]):
        raise HTTPException(
            422, f"refund of {body.amount} exceeds what is left of the payment "
                 f"({Decimal(payment['amount']) - refunded})")
    response = {
        "id": f"SBX-REF-{uuid.uuid4().hex[:12].upper()}",
        "payment_id": payment_id,
        "status": status or "succeeded",
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
