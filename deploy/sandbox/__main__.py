"""``python -m deploy.sandbox``: the development gateways on one port (default 8100)."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from deploy.sandbox import carrier, payment, sms

app = FastAPI(title="Một Cửa — development sandboxes (payment, carrier, SMS)")
for module in (payment, carrier, sms):
    app.include_router(module.router)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(
        app,
        host=os.environ.get("SANDBOX_HTTP_HOST", "127.0.0.1"),
        port=int(os.environ.get("SANDBOX_HTTP_PORT", "8100")),
        log_level="warning",
    )
