"""The payment gateway adapter: a charge idempotent by the payment id, a refund by the
refund id. A refusal (4xx) is an answer, ``refused`` with the gateway's detail; a gateway
that is down (5xx) or cannot be reached raises."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import httpx

Status = Literal["succeeded", "pending", "failed", "refused"]


@dataclass(frozen=True)
class GatewayAnswer:
    transaction_id: str | None
    status: Status | str  # a status this adapter does not know yet is passed on as it is
    detail: str = ""


class PaymentGateway:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def charge(self, payment_id: uuid.UUID, amount: Decimal,
                     reference: str) -> GatewayAnswer:
        return _answer(await self._client.post(
            "/v1/payments",
            json={"amount": str(amount), "currency": "VND", "reference": reference,
                  "description": f"Phí, lệ phí hồ sơ {reference}"},
            headers={"Idempotency-Key": str(payment_id)},
        ))

    async def refund(self, refund_id: uuid.UUID, gateway_transaction_id: str, amount: Decimal,
                     reference: str) -> GatewayAnswer:
        return _answer(await self._client.post(
            f"/v1/payments/{gateway_transaction_id}/refunds",
            json={"amount": str(amount), "reference": reference,
                  "description": f"Hoàn trả phí, lệ phí hồ sơ {reference}"},
            headers={"Idempotency-Key": str(refund_id)},
        ))


def _answer(response: httpx.Response) -> GatewayAnswer:
    if response.is_client_error:
        detail = response.json().get("detail", "") if _is_json(response) else response.text
        return GatewayAnswer(None, "refused", f"HTTP {response.status_code}: {detail}"[:300])
    response.raise_for_status()
    body = response.json()
    return GatewayAnswer(transaction_id=body["id"], status=body["status"])


def _is_json(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/json")
