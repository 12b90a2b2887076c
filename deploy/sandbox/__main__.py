"""``python -m deploy.sandbox``: the development gateways on one port (default 8100)."""

from __future__ import annotations

import os

import uvicorn

from deploy.sandbox.app import create_app

if __name__ == "__main__":
    uvicorn.run(
        create_app(realtime=True),
        host=os.environ.get("SANDBOX_HTTP_HOST", "127.0.0.1"),
        port=int(os.environ.get("SANDBOX_HTTP_PORT", "8100")),
        log_level="warning",
    )
