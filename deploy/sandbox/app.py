"""The development gateways as one ASGI app: what ``python -m deploy.sandbox`` serves, and
what tests serve in process on a free port (each with a VNPay sandbox of its own, whose IPN
URL points at the payment app the test serves)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import FastAPI

from deploy.sandbox import carrier, inspect, sms, vnpay


def create_app(payment: vnpay.VnpaySandbox | None = None, *,
               realtime: bool = False) -> FastAPI:
    """``realtime``: the VNPay sandbox's clock follows the wall clock (IPN retries, refund
    statuses move on by themselves), as ``make run`` wants; tests move it themselves."""
    gateway = payment or vnpay.VnpaySandbox.from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async def tick() -> None:
            while True:
                await asyncio.sleep(1)
                with contextlib.suppress(Exception):
                    await gateway.advance(to=datetime.now(UTC))

        task = asyncio.create_task(tick()) if realtime else None
        yield
        if task is not None:
            task.cancel()

    app = FastAPI(title="Một Cửa — development sandboxes (VNPay, carrier, SMS)",
                  lifespan=lifespan)
    app.state.vnpay = gateway
    app.include_router(vnpay.router(gateway))
    for module in (carrier, sms, inspect):
        app.include_router(module.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
