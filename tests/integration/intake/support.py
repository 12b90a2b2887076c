"""Helpers and data for intake's integration tests (the ``intake`` fixture is in conftest.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from services.intake.bootstrap import SPEC, build_deps
from services.intake.deps import IntakeDeps
from services.intake.settings import IntakeSettings
from shared.portal.client import signed_request
from shared.runtime.db import (
    SHARED_MIGRATIONS,
    create_pool,
    ensure_database,
    migrate,
    migration_files,
)
from shared.runtime.service import install_errors
from shared.runtime.settings import with_database

SECRETS = {"portal-a": "portal-a-secret-0001", "portal-b": "portal-b-secret-0001"}
PDF = b"%PDF-1.4\n% Mot Cua test\n"


@dataclass
class Intake:
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    deps: IntakeDeps
    app: FastAPI

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


def intake_app(deps: IntakeDeps) -> FastAPI:
    """Intake's routers and error mapping, as the runtime assembles them, on ``deps``."""
    app = FastAPI()
    for router in SPEC.routers:
        app.include_router(router)
    install_errors(app, SPEC.errors)
    app.state.deps = deps
    return app


@asynccontextmanager
async def running_intake(postgres_url: str, document_dir: Path, **settings: Any
                         ) -> AsyncIterator[Intake]:
    """Intake on a fresh database of the session's server, reached over ASGI; ``settings``
    change the defaults below (small limits, so that limits are cheap to reach)."""
    url = with_database(postgres_url, f"intake_{uuid.uuid4().hex[:10]}")
    await ensure_database(url)
    await migrate(url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(url)
    configured = IntakeSettings(**{
        "portal_secrets": ";".join(f"{p}:{s}" for p, s in SECRETS.items()),
        "document_dir": document_dir, "max_json_body_bytes": 256 * 1024,
        "max_dossier_bytes": 160 * 1024, "tracking_rate_limit": "1000/minute", **settings})
    deps = build_deps(configured, pool, None)  # HTTP only: no receipts
    app = intake_app(deps)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://intake") as http:
            yield Intake(http, pool, deps, app)
    finally:
        await pool.close()


def documents_for(procedure: dict, content: bytes = PDF) -> list[dict]:
    import base64

    return [{"kind": d["kind"], "filename": f"{d['kind']}.pdf",
             "content_type": "application/pdf",
             "content_base64": base64.b64encode(content).decode()}
            for d in procedure["required_documents"] if d["mandatory"]]


POSTAL_ADDRESS = {"recipient_name": "Nguyễn Thị Hoa", "phone": "0912345678",
                  "street": "12 Đường 3/2", "ward": "Thị trấn Thạnh An",
                  "district": "Huyện Vĩnh Thạnh", "province": "Thành phố Cần Thơ"}


def submission(procedure: dict, **changes: Any) -> dict:
    body = {
        "portal_submission_id": str(uuid.uuid4()), "procedure_code": procedure["code"],
        "applicant": {"full_name": "Nguyễn Thị Hoa", "id_number": "092301004567",
                      "phone": "0912345678", "email": "hoa@example.vn"},
        "return_method": "postal" if procedure["postal_return"] else "online",
        "postal_address": dict(POSTAL_ADDRESS),  # a copy: hostile tests poison their own
        "documents": documents_for(procedure),
    }
    return {**body, **changes}


async def registered(intake: Intake, **changes: Any) -> tuple[str, uuid.UUID]:
    """A dossier of marriage recording, submitted: its code and id."""
    procedure = (await intake.http.get("/v1/procedures/2.002189")).json()
    created = await intake.submit(submission(procedure, **changes))
    assert created.status_code == 201, created.text
    code = created.json()["dossier_code"]
    view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    return code, uuid.UUID(view["dossier_id"])


async def told(intake: Intake, dossier_id: uuid.UUID, event: Any, producer: str) -> None:
    """Intake's timeline records ``event`` as if ``producer`` had published it."""
    from services.intake.handlers.timeline import record_in_timeline
    from shared.contracts.events import Envelope
    from shared.runtime.outbox import UnitOfWork

    envelope = Envelope.wrap(event, dossier_id=dossier_id, producer=producer,
                             dossier_code=event.dossier_code)
    async with UnitOfWork(intake.pool, producer="test") as uow:
        await record_in_timeline(event, envelope, uow)
        await uow.commit()
