"""The GHN (Giao Hàng Nhanh) v2 API: ``<base>/v2/shipping-order/{preview,create,detail,
detail-by-client-code}`` and ``<base>/v2/switch-status/{storing,return,cancel}``, with the
shop's ``Token`` and ``ShopId`` headers. Every answer is ``{"code", "message", "data"}``;
``code`` 200 is success, 400 a refusal (``message`` says why). GHN's own environments:
``https://dev-online-gateway.ghn.vn/shiip/public-api`` and
``https://online-gateway.ghn.vn/shiip/public-api``; in development, the sandbox
(``deploy/sandbox/carrier.py``). The webhook (``Type: switch_status``) is unsigned: see
``handlers/tracking.py`` for how it is trusted.

Tracking codes are checked as UPU S10: the public postal service's parcel numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from services.postal.adapters.carrier import (
    CarrierUnavailable,
    Created,
    Detail,
    Parcel,
    Refused,
    WebhookUpdate,
)
from services.postal.domain.s10 import is_s10
from services.postal.domain.tracking import STATUSES, Update
from shared.runtime.metrics import provider_answer

GMT7 = timezone(timedelta(hours=7))
_DUPLICATE = "DUPLICATE_CLIENT_ORDER_CODE"
# GHN's finer states, in our vocabulary (shared.contracts.types.ShipmentStatus).
_ALIASES = {"money_collect_picking": "picking", "money_collect_delivering": "delivering",
            "return_transporting": "returning", "return_sorting": "returning"}
_RETRYABLE = ("SERVICE_UNAVAILABLE", "TOO_MANY_REQUESTS")


def status_of(raw: object) -> str:
    status = _ALIASES.get(str(raw), str(raw))
    if status not in STATUSES:
        raise ValueError(f"unknown GHN status {raw!r}")
    return status


def time_of(raw: object) -> datetime:
    """GHN's times: ISO 8601, with an offset (``Z``) or else GMT+7."""
    at = datetime.fromisoformat(str(raw))
    return (at if at.tzinfo else at.replace(tzinfo=GMT7)).astimezone(UTC)


class GhnCarrier:
    name = "GHN"

    def __init__(self, client: httpx.AsyncClient, *, token: str, shop_id: str,
                 name: str = "GHN") -> None:
        self._client, self.name = client, name
        self._headers = {"Token": token, "ShopId": shop_id}

    async def _call(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = await self._client.post(path, json=body, headers=self._headers)
        operation = path.rsplit("/", 1)[-1]
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            provider_answer("ghn", f"http-{response.status_code}", operation)
            raise CarrierUnavailable(f"GHN {path}: HTTP {response.status_code}")
        try:
            answer = response.json()
            code = int(answer["code"])
        except (ValueError, KeyError, TypeError) as error:
            provider_answer("ghn", None, operation)
            raise CarrierUnavailable(f"GHN {path}: not a GHN answer") from error
        provider_answer("ghn", str(code), operation)
        return code, answer

    def _order(self, parcel: Parcel) -> dict[str, Any]:
        return {"payment_type_id": 1,  # the office (the shop) pays: postage is collected
                "required_note": "KHONGCHOXEMHANG", "client_order_code":
                parcel.client_order_code, "to_name": parcel.to_name,
                "to_phone": parcel.to_phone, "to_address": parcel.to_address,
                "to_ward_name": parcel.to_ward_name, "to_ward_code": parcel.to_ward_code,
                "to_district_name": parcel.to_district_name,
                "to_province_name": parcel.to_province_name, "cod_amount": 0,
                "weight": parcel.weight_g, "length": 30, "width": 22, "height": 2,
                "service_type_id": 2, "content": parcel.content, "note": parcel.note,
                "items": [{"name": parcel.content, "quantity": 1, "weight": parcel.weight_g}]}

    async def preview(self, parcel: Parcel) -> Decimal:
        code, answer = await self._call("/v2/shipping-order/preview", self._order(parcel))
        if code != 200:
            raise CarrierUnavailable(f"GHN preview: {answer.get('message')}")
        return Decimal(str(answer["data"]["total_fee"]))

    async def create(self, parcel: Parcel) -> Created | Refused:
        code, answer = await self._call("/v2/shipping-order/create", self._order(parcel))
        if code == 200:
            data = answer.get("data") or {}
            return Created(self._tracking_code(data.get("order_code")),
                           _fee(data.get("total_fee")))
        if answer.get("code_message") == _DUPLICATE:  # created by an attempt we lost
            return await self._existing(parcel.client_order_code)
        return Refused(str(answer.get("message") or f"code {code}")[:300],
                       retryable=answer.get("code_message") in _RETRYABLE)

    async def _existing(self, client_order_code: str) -> Created:
        code, answer = await self._call("/v2/shipping-order/detail-by-client-code",
                                        {"client_order_code": client_order_code})
        if code != 200:
            raise CarrierUnavailable("GHN: the order exists, but its detail is not found")
        data = answer["data"]
        return Created(self._tracking_code(data.get("order_code")), _fee(data.get("total_fee")))

    def _tracking_code(self, raw: object) -> str:
        if not isinstance(raw, str) or not is_s10(raw):
            raise CarrierUnavailable(f"GHN answered a tracking code that is not S10: {raw!r}")
        return raw

    async def detail(self, tracking_code: str) -> Detail | None:
        code, answer = await self._call("/v2/shipping-order/detail",
                                        {"order_code": tracking_code})
        if code != 200:
            return None
        data = answer["data"]
        try:
            updates = tuple(Update(status_of(e["status"]), time_of(e["updated_date"]),
                                   e.get("reason") or None, e.get("receiver_name") or None)
                            for e in data.get("log") or ())
            return Detail(self._tracking_code(data["order_code"]),
                          data.get("client_order_code"), status_of(data["status"]), updates)
        except (KeyError, ValueError, TypeError) as error:
            raise CarrierUnavailable(f"GHN detail: {error}") from error

    async def _switch(self, to: str, tracking_code: str) -> Refused | None:
        code, answer = await self._call(f"/v2/switch-status/{to}",
                                        {"order_codes": [tracking_code]})
        results = answer.get("data") or []
        if code == 200 and all(r.get("result") for r in results):
            return None
        why = next((r.get("message") for r in results if not r.get("result")), None)
        return Refused(str(why or answer.get("message") or f"code {code}")[:300])

    async def redeliver(self, tracking_code: str) -> Refused | None:
        return await self._switch("storing", tracking_code)

    async def return_to_sender(self, tracking_code: str) -> Refused | None:
        return await self._switch("return", tracking_code)

    async def cancel(self, tracking_code: str) -> Refused | None:
        return await self._switch("cancel", tracking_code)

    def webhook_update(self, body: Any, headers: dict[str, str]) -> WebhookUpdate:
        if not isinstance(body, dict) or body.get("Type", "switch_status") != "switch_status":
            raise ValueError("not a GHN status webhook")
        try:
            code = str(body["OrderCode"])
            update = Update(status_of(body["Status"]), time_of(body["Time"]),
                            str(body.get("Reason") or "")[:500] or None)
        except KeyError as missing:
            raise ValueError(f"GHN webhook without {missing}") from missing
        if not is_s10(code):
            raise ValueError("GHN webhook: OrderCode is not an S10 tracking code")
        return WebhookUpdate(code, body.get("ClientOrderCode"), update)


def _fee(raw: object) -> Decimal | None:
    return None if raw is None else Decimal(str(raw))
