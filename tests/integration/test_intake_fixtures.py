"""Intake's HTTP app on a real database, for the intake tests that import these fixtures.

The app is intake's routers and dependencies without the broker: events a use case records
are asserted in the outbox, where the relay would find them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.intake.bootstrap import SPEC, build_deps
from services.intake.handlers import IntakeDeps
from services.intake.settings import IntakeSettings
from services.intake.tracking_api import TrackingLimiter
from shared.db import SHARED_MIGRATIONS, create_pool, ensure_database, migrate, migration_files
from shared.portal_client import signed_request
from shared.service import Runtime
from shared.settings import with_database

SECRETS = {"portal-a": "portal-a-secret-0001", "portal-b": "portal-b-secret-0001"}
PDF = b"%PDF-1.4\n% Mot Cua test\n"


@dataclass
class Intake:
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    deps: IntakeDeps
    runtime: Runtime

    async def send(self, method: str, path: str, body: Any = None, *, portal: str = "portal-a",
                   files: dict[str, Path] | None = None) -> httpx.Response:
        request = signed_request(method, self.http.base_url.join(path), portal,
                                 SECRETS[portal], body=body, files=files)
        return await self.http.send(request)

    async def submit(self, body: dict, **kwargs: Any) -> httpx.Response:
        return await self.send("POST", "/v1/dossiers", body, **kwargs)

    async def events(self, event_type: str, code: str | None = None) -> list[dict]:
        rows = await self.pool.fetch(
            "SELECT payload FROM outbox_message WHERE headers->>'event_type' = $1 ORDER BY id",
            event_type)
        envelopes = [json.loads(bytes(r["payload"])) for r in rows]
        return [e for e in envelopes if code is None or e["dossier_code"] == code]


@pytest.fixture(scope="module")
async def intake(postgres_url: str, tmp_path_factory) -> AsyncIterator[Intake]:
    url = with_database(postgres_url, f"intake_{uuid.uuid4().hex[:10]}")
    await ensure_database(url)
    await migrate(url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(url)
    settings = IntakeSettings(
        portal_secrets=";".join(f"{p}:{s}" for p, s in SECRETS.items()),
        document_dir=tmp_path_factory.mktemp("documents"),
        max_document_bytes=64 * 1024, max_dossier_bytes=160 * 1024,
        tracking_rate_limit="1000/minute", client_ip_header="X-Forwarded-For",
    )
    deps = build_deps(settings, pool)
    runtime = Runtime(settings=settings, pool=pool, broker=None,  # type: ignore[arg-type]
                      state={"deps": deps, "tracking_limiter": TrackingLimiter(
                          settings.tracking_rate_limit, settings.client_ip_header)})
    app = FastAPI()
    for router in SPEC.routers:
        app.include_router(router)
    app.state.runtime = runtime
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as http:
        yield Intake(http, pool, deps, runtime)
    await pool.close()


def documents_for(procedure: dict, content: bytes = PDF) -> list[dict]:
    import base64

    return [{"kind": d["kind"], "filename": f"{d['kind']}.pdf",
             "content_type": "application/pdf",
             "content_base64": base64.b64encode(content).decode()}
            for d in procedure["required_documents"] if d["mandatory"]]


def submission(procedure: dict, **changes: Any) -> dict:
    body = {
        "portal_submission_id": str(uuid.uuid4()), "procedure_code": procedure["code"],
        "applicant": {"full_name": "Nguyễn Thị Hoa", "id_number": "092301004567",
                      "phone": "0912345678", "email": "hoa@example.vn"},
        "return_method": "postal" if procedure["postal_return"] else "online",
        "postal_address": "12 Đường 3/2, thị trấn Thạnh An, Vĩnh Thạnh",
        "documents": documents_for(procedure),
    }
    return {**body, **changes}
