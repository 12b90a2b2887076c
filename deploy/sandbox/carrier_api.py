"""The sandbox carrier's routes: GHN's v2 API under ``/carrier/shiip/public-api`` (answers
``{"code", "message", "data"}``; the shop's ``Token`` and ``ShopId`` headers required), and
the sandbox's own switches, clock and ledger under ``/carrier/_sandbox``. See ``carrier``."""

from __future__ import annotations

import os
import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from deploy.sandbox.carrier import CarrierSandbox, Order
from deploy.sandbox.script import Script

DEV_SHOP = ("motcua-dev-ghn-token", "885")  # services/postal/settings.py, DEV_CARRIER
_PHONE = re.compile(r"^(0|\+84)[35789][0-9]{8}$")
_REQUIRED = ("client_order_code", "to_name", "to_phone", "to_address", "to_ward_name",
             "to_province_name", "weight")


def _answer(code: int, message: str, data: Any = None, *, code_message: str = "",
            status: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, "data": data}
    if code_message:
        body["code_message"] = code_message
    return JSONResponse(body, status_code=status or (200 if code == 200 else 400))


class ClockIn(BaseModel):
    advance_s: float = Field(0, ge=0, le=86400 * 30)


class WebhookIn(BaseModel):
    url: str


class SwitchesIn(BaseModel):
    duplicate_webhooks: bool = False
    reverse_webhooks: bool = False
    drop_webhooks: bool = False


def router(sandbox: CarrierSandbox) -> APIRouter:
    api = APIRouter(prefix="/carrier", tags=["carrier (sandbox)"])
    ghn = APIRouter(prefix="/shiip/public-api/v2")
    script = Script("orders", ("refused", "refused_retryable"))
    api.include_router(script.router())
    shop = (os.environ.get("SANDBOX_GHN_TOKEN", DEV_SHOP[0]),
            os.environ.get("SANDBOX_GHN_SHOP_ID", DEV_SHOP[1]))

    def refused(request: Request) -> JSONResponse | None:
        if (request.headers.get("token"), request.headers.get("shopid")) != shop:
            return _answer(401, "Token hoặc ShopId không hợp lệ", status=401)
        return None

    def invalid(body: dict[str, Any]) -> str | None:
        missing = [f for f in _REQUIRED if not body.get(f)]
        if missing:
            return f"Thiếu thông tin: {', '.join(missing)}"
        if not _PHONE.match(str(body["to_phone"])):
            return "Số điện thoại người nhận không hợp lệ"
        return None

    @ghn.post("/shipping-order/preview")
    async def preview(body: Annotated[dict[str, Any], Body()], request: Request) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        if (why := invalid(body)) is not None:
            return _answer(400, why)
        if "nofee" in str(body["to_address"]).lower():  # the fee service is down
            return _answer(500, "Hệ thống tính phí đang bận", status=503)
        fee = sandbox.fee_of(body)
        return _answer(200, "Success", {"total_fee": fee, "fee": {"main_service": fee},
                                        "expected_delivery_time": sandbox.now.isoformat()})

    @ghn.post("/shipping-order/create")
    async def create(body: Annotated[dict[str, Any], Body()], request: Request) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        answer = await script.take(str(body.get("client_order_code")), request)
        if answer == "refused":
            return _answer(400, "Địa chỉ giao hàng không được hỗ trợ")
        if answer == "refused_retryable":
            return _answer(400, "Hệ thống đang bận, vui lòng thử lại",
                           code_message="SERVICE_UNAVAILABLE")
        if (why := invalid(body)) is not None:
            return _answer(400, why)
        if str(body["client_order_code"]) in sandbox.by_client_code:
            return _answer(400, "Mã đơn hàng của shop đã tồn tại",
                           code_message="DUPLICATE_CLIENT_ORDER_CODE")
        order = sandbox.create({**body, "_shop_id": request.headers.get("shopid")})
        return _answer(200, "Success", {"order_code": order.order_code,
                                        "total_fee": order.fee,
                                        "expected_delivery_time": sandbox.now.isoformat()})

    def found(order: Order | None) -> JSONResponse:
        if order is None:
            return _answer(400, "Không tìm thấy đơn hàng")
        return _answer(200, "Success", order.detail())

    @ghn.post("/shipping-order/detail")
    async def detail(body: Annotated[dict[str, Any], Body()], request: Request) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        return found(sandbox.orders.get(str(body.get("order_code"))))

    @ghn.post("/shipping-order/detail-by-client-code")
    async def detail_by_client_code(body: Annotated[dict[str, Any], Body()],
                                    request: Request) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        code = sandbox.by_client_code.get(str(body.get("client_order_code")))
        return found(sandbox.orders.get(code) if code else None)

    @ghn.post("/switch-status/{to}")
    async def switch(to: str, body: Annotated[dict[str, Any], Body()], request: Request
                     ) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        if to not in ("storing", "return", "cancel"):
            return _answer(400, f"Không hỗ trợ {to}")
        results = []
        for code in body.get("order_codes") or []:
            order = sandbox.orders.get(str(code))
            why = "Không tìm thấy đơn hàng" if order is None else sandbox.switch(order, to)
            results.append({"order_code": code, "result": why is None, "message": why or "OK"})
        return _answer(200, "Success", results)

    api.include_router(ghn)

    @api.post("/_sandbox/ghn/clock", include_in_schema=False)
    async def clock(body: ClockIn) -> dict[str, object]:
        sent = await sandbox.advance(body.advance_s)
        return {"now": sandbox.now.isoformat(), "sent": sent}

    @api.put("/_sandbox/ghn/webhook", include_in_schema=False)
    async def webhook(body: WebhookIn) -> dict[str, object]:
        sandbox.webhook_url = body.url
        return {"url": body.url}

    @api.put("/_sandbox/ghn/switches", include_in_schema=False)
    async def switches(body: SwitchesIn) -> dict[str, object]:
        for name, value in body.model_dump().items():
            setattr(sandbox.switches, name, value)
        return body.model_dump()

    @api.get("/_sandbox/ghn/ledger", include_in_schema=False)
    async def ledger() -> list[dict[str, Any]]:
        return sandbox.ledger()

    return api
