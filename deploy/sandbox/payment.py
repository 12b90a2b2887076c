"""Sandbox payment gateway: every payment succeeds at once. Idempotent by key."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, Field

router = APIRouter(prefix="/payment", tags=["payment gateway (sandbox)"])
_payments: dict[str, dict[str, object]] = {}


class PaymentIn(BaseModel):
    amount: Decimal = Field(gt=0)
    currency: str = "VND"
    reference: str
    description: str = ""


@router.post("/v1/payments")
async def create_payment(
    body: PaymentIn, idempotency_key: Annotated[str, Header(alias="Idempotency-Key")]
) -> dict[str, object]:
    known = _payments.get(idempotency_key)
    if known is not None:
        if known["request"] != body.model_dump(mode="json"):
            raise HTTPException(409, "Idempotency-Key reused with a different body")
        return known["response"]  # type: ignore[return-value]
    response = {
        "id": f"SBX-PAY-{uuid.uuid4().hex[:12].upper()}",
        "status": "succeeded",
        "amount": str(body.amount),
        "reference": body.reference,
    }
    _payments[idempotency_key] = {"request": body.model_dump(mode="json"), "response": response}
    return response


@router.get("/v1/payments")
async def list_payments() -> list[dict[str, object]]:
    return [p["response"] for p in _payments.values()]  # type: ignore[misc]
