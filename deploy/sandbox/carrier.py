"""Sandbox postal carrier (VNPost-like): a shipment is delivered as soon as it is created."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel

router = APIRouter(prefix="/carrier", tags=["carrier (sandbox)"])
_shipments: dict[str, dict[str, object]] = {}


class ShipmentIn(BaseModel):
    reference: str
    recipient_name: str
    recipient_phone: str
    address: str


@router.post("/v1/shipments")
async def create_shipment(
    body: ShipmentIn, idempotency_key: Annotated[str, Header(alias="Idempotency-Key")]
) -> dict[str, object]:
    known = _shipments.get(idempotency_key)
    if known is not None:
        if known["request"] != body.model_dump():
            raise HTTPException(409, "Idempotency-Key reused with a different body")
        return known["response"]  # type: ignore[return-value]
    response = {
        # VNPost item numbers look like EB123456789VN (UPU S10).
        "tracking_code": f"EB{random.randrange(10**8, 10**9)}VN",  # noqa: S311
        "status": "delivered",
        "delivered_at": datetime.now(UTC).isoformat(),
    }
    _shipments[idempotency_key] = {"request": body.model_dump(), "response": response}
    return response


@router.get("/v1/shipments")
async def list_shipments() -> list[dict[str, object]]:
    return [s["response"] for s in _shipments.values()]  # type: ignore[misc]
