"""The payment gateway adapter: a charge idempotent by the payment id, a refund by the
refund id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import httpx


@dataclass(frozen=True)
class GatewayResult:
    transaction_id: str
    status: str  # "succeeded" | "pending" | "failed"


class PaymentGateway:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def charge(self, payment_id: uuid.UUID, amount: Decimal, reference: str) -> GatewayResult:
        response = await self._client.post(
            "/v1/payments",
            json={"amount": str(amount), "currency": "VND", "reference": reference,
                  "description": f"Phí, lệ phí hồ sơ {reference}"},
            headers={"Idempotency-Key": str(payment_id)},
        )
        response.raise_for_status()
        body = response.json()
        return GatewayResult(transaction_id=body["id"], status=body["status"])

    async def refund(self, refund_id: uuid.UUID, gateway_transaction_id: str, amount: Decimal,
                     reference: str) -> GatewayResult:
        response = await self._client.post(
            f"/v1/payments/{gateway_transaction_id}/refunds",
            json={"amount": str(amount), "reference": reference,
                  "description": f"Hoàn trả phí, lệ phí hồ sơ {reference}"},
            headers={"Idempotency-Key": str(refund_id)},
        )
        response.raise_for_status()
        body = response.json()
        return GatewayResult(transaction_id=body["id"], status=body["status"])
