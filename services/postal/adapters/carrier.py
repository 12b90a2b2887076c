"""The carrier adapter (VNPost-like API): create a shipment, idempotent by its id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx


@dataclass(frozen=True)
class CarrierShipment:
    tracking_code: str
    status: str  # "created" | "delivered" | "failed"
    delivered_at: datetime | None


class Carrier:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def ship(self, shipment_id: uuid.UUID, *, reference: str, name: str, phone: str,
                   address: str) -> CarrierShipment:
        response = await self._client.post(
            "/v1/shipments",
            json={"reference": reference, "recipient_name": name, "recipient_phone": phone,
                  "address": address},
            headers={"Idempotency-Key": str(shipment_id)},
        )
        response.raise_for_status()
        body = response.json()
        delivered = body.get("delivered_at")
        return CarrierShipment(
            tracking_code=body["tracking_code"],
            status=body["status"],
            delivered_at=datetime.fromisoformat(delivered) if delivered else None,
        )
