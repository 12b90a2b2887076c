"""The carrier adapter (VNPost-like API): create a shipment, idempotent by its id. A refusal
(4xx) is an answer, ``refused``; a carrier that is down (5xx) or cannot be reached raises."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx


@dataclass(frozen=True)
class CarrierAnswer:
    status: str  # "created" | "delivered" | "pending" | "failed" | "refused"
    tracking_code: str | None = None
    delivered_at: datetime | None = None
    reason: str = ""
    retryable: bool = False


class Carrier:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def ship(self, shipment_id: uuid.UUID, *, reference: str, name: str, phone: str,
                   address: str) -> CarrierAnswer:
        response = await self._client.post(
            "/v1/shipments",
            json={"reference": reference, "recipient_name": name, "recipient_phone": phone,
                  "address": address},
            headers={"Idempotency-Key": str(shipment_id)},
        )
        if response.is_client_error:
            return CarrierAnswer("refused", reason=f"HTTP {response.status_code}")
        response.raise_for_status()
        body = response.json()
        delivered = body.get("delivered_at")
        return CarrierAnswer(
            status=body["status"],
            tracking_code=body.get("tracking_code"),
            delivered_at=datetime.fromisoformat(delivered) if delivered else None,
            reason=str(body.get("reason", "")),
            retryable=bool(body.get("retryable", False)),
        )
