"""Intake's integration fixture: intake's routers and dependencies on a real, freshly migrated
PostgreSQL database, without the broker (events a use case records are asserted in the outbox,
where the relay would find them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.intake.bootstrap import SPEC, build_deps
from services.intake.settings import IntakeSettings
from shared.runtime.db import (
    SHARED_MIGRATIONS,
    create_pool,
    ensure_database,
    migrate,
    migration_files,
)
from shared.runtime.service import install_errors
from shared.runtime.settings import with_database
from tests.integration.intake.support import SECRETS, Intake


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
    deps = build_deps(settings, pool, None)  # HTTP only: no receipts
    app = FastAPI()
    for router in SPEC.routers:
        app.include_router(router)
    install_errors(app, SPEC.errors)
    app.state.deps = deps
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as http:
        yield Intake(http, pool, deps, app)
    await pool.close()
