"""The development gateways as one ASGI app: what ``python -m deploy.sandbox`` serves, and
what tests serve in process on a free port (each with a VNPay sandbox of its own, whose IPN
URL points at the payment app the test serves)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request, Response

from deploy.sandbox import carrier, carrier_api, inspect, sms, vnpay
from deploy.sandbox.store import Store

# Which gateway a request reaches, by its path.
_PREFIXES = {"/payment": "vnpay", "/carrier": "carrier", "/sms": "sms"}


def create_app(payment: vnpay.VnpaySandbox | None = None, *,
               parcels: carrier.CarrierSandbox | None = None,
               texts: sms.SmsSandbox | None = None, realtime: bool = False,
               store: Store | None = None) -> FastAPI:
    """``realtime``: the sandboxes' clocks follow the wall clock (IPN retries, refund
    statuses, parcels' states, SMS delivery reports move on by themselves), as ``make run``
    wants; tests move them themselves. ``store`` (or ``SANDBOX_STATE_FILE``): where the
    gateways' record is kept across restarts (:mod:`deploy.sandbox.store`)."""
    gateway = payment or vnpay.VnpaySandbox.from_env()
    post = parcels or carrier.CarrierSandbox.from_env()
    texts = texts or sms.SmsSandbox.from_env()
    if store is None and os.environ.get("SANDBOX_STATE_FILE"):
        store = Store(Path(os.environ["SANDBOX_STATE_FILE"]))
    gateways = {"vnpay": gateway, "carrier": post, "sms": texts}
    if store is not None:
        for name, each in gateways.items():
            store.restore(name, each)

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
                if store is not None:
                    for name, each in gateways.items():
                        store.save(name, each)

        task = asyncio.create_task(tick()) if realtime else None
        yield
        if task is not None:
            task.cancel()
        if store is not None:
            store.close()

    app = FastAPI(title="Một Cửa — development sandboxes (VNPay, carrier, SMS)",
                  lifespan=lifespan)
    app.state.vnpay = gateway
    app.include_router(vnpay.router(gateway))
    app.state.carrier = post
    app.include_router(carrier_api.router(post))
    app.state.sms = texts
    app.include_router(sms.router(texts))
    app.include_router(inspect.router)

    if store is not None:
        @app.middleware("http")
        async def persist(request: Request,
                          call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            """The gateway's record is on disk before its answer leaves."""
            response = await call_next(request)
            for prefix, name in _PREFIXES.items():
                if request.url.path.startswith(prefix):
                    store.save(name, gateways[name])
            return response

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
