"""The development gateways as one ASGI app: what ``python -m deploy.sandbox`` serves, and
what tests serve in process on a free port (each with a VNPay sandbox of its own, whose IPN
URL points at the payment app the test serves)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import FastAPI

from deploy.sandbox import carrier, carrier_api, inspect, sms, vnpay


def create_app(payment: vnpay.VnpaySandbox | None = None, *,
               parcels: carrier.CarrierSandbox | None = None,
               texts: sms.SmsSandbox | None = None, realtime: bool = False) -> FastAPI:
    """``realtime``: the sandboxes' clocks follow the wall clock (IPN retries, refund
    statuses, parcels' states, SMS delivery reports move on by themselves), as ``make run``
    wants; tests move them themselves."""
    gateway = payment or vnpay.VnpaySandbox.from_env()
    post = parcels or carrier.CarrierSandbox.from_env()
    texts = texts or sms.SmsSandbox.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def tick() -> None:
            while True:
                await asyncio.sleep(1)
                with contextlib.suppress(Exception):
                    await gateway.advance(to=datetime.now(UTC))
                with contextlib.suppress(Exception):
                    await post.advance(to=datetime.now(UTC))
                with contextlib.suppress(Exception):
                    await texts.advance(to=datetime.now(UTC))

        task = asyncio.create_task(tick()) if realtime else None
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(title="Một Cửa — development sandboxes (VNPay, carrier, SMS)",
                  lifespan=lifespan)
    app.state.vnpay = gateway
    app.include_router(vnpay.router(gateway))
    app.state.carrier = post
    app.include_router(carrier_api.router(post))
    app.state.sms = texts
    app.include_router(sms.router(texts))
    app.include_router(inspect.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
