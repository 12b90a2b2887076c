"""The development gateways as one ASGI app: what ``python -m deploy.sandbox`` serves, and
what tests serve in process on a free port."""

from __future__ import annotations

from fastapi import FastAPI

from deploy.sandbox import carrier, payment, sms


def create_app() -> FastAPI:
    app = FastAPI(title="Một Cửa — development sandboxes (payment, carrier, SMS)")
    for module in (payment, carrier, sms):
        app.include_router(module.router)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
