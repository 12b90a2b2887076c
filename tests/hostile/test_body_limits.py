"""Memory before authentication: every service refuses a body past its route's limit as it
arrives (413), without reading it whole first. A security review posted 300 MB to
processing's sign-in and watched it grow from 106 MiB to 1.3 GiB."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator

import httpx
import psutil
import pytest

from services.intake.bootstrap import SPEC as INTAKE
from services.intake.bootstrap import build_deps
from services.intake.settings import IntakeSettings
from services.processing.bootstrap import SPEC as PROCESSING
from services.processing.settings import ProcessingSettings
from shared.runtime.service import build_app

MiB = 1024 * 1024


async def _chunks(total: int, size: int = MiB) -> AsyncIterator[bytes]:
    """``total`` bytes, a fresh chunk at a time (never held whole by the client)."""
    for _ in range(total // size):
        yield b"x" * size


def _rss() -> int:
    return psutil.Process(os.getpid()).memory_info().rss


@pytest.mark.parametrize(("spec", "settings", "path", "size"), [
    (PROCESSING, ProcessingSettings, "/v1/auth/token", 300 * MiB),
    (PROCESSING, ProcessingSettings, "/v1/dossiers/VTH-250123-0001/actions", 300 * MiB),
    (INTAKE, lambda: IntakeSettings(portal_secrets="p:0123456789abcdef"),
     "/v1/dossiers/VTH-250123-0001/withdraw", 300 * MiB),
], ids=["processing-sign-in", "processing-action", "intake-withdrawal"])
async def test_an_oversized_body_is_refused_as_it_arrives(spec, settings, path, size) -> None:
    app = build_app(spec, settings())  # no lifespan, no database: the limit answers first
    if spec is INTAKE:  # intake reads who signed before the body
        app.state.deps = build_deps(settings(), None, None)
    before = _rss()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://service") as client:
        response = await client.post(path, content=_chunks(size), headers={
            "Content-Type": "application/json",
            # well-formed signature headers: intake judges them before the body (a wrong
            # HMAC is only known once the body is read, which the limit stops first)
            "X-Portal-Id": "p", "X-Timestamp": str(int(time.time())), "X-Nonce": "n" * 16,
            "X-Signature": "0" * 64})
    assert response.status_code == 413
    assert _rss() - before < 64 * MiB, "the body was held in memory"


async def test_a_declared_oversized_body_is_refused_before_it_is_read() -> None:
    app = build_app(PROCESSING, ProcessingSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://processing") as client:
        response = await client.post("/v1/auth/token", content=b"{}",
                                     headers={"Content-Length": str(300 * MiB),
                                              "Content-Type": "application/json"})
    assert response.status_code == 413
