"""Processing's integration fixtures: its HTTP edge and use cases run in-process on a real,
freshly migrated PostgreSQL database; the broker is not needed there, since use cases only
write the outbox. The HTTP edge is the service's own app (its routers and its answers to
domain errors), without its lifespan: ASGITransport sends no lifespan events, so nothing
connects, and the app gets the test's dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from services.processing.bootstrap import SPEC
from services.processing.deps import Deps
from services.processing.officers import OfficerDirectory
from services.processing.settings import ProcessingSettings
from services.processing.tokens import TokenService
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.runtime.outbox import Transactions
from shared.runtime.service import build_app
from tests.integration.processing.support import CALENDAR, CATALOG, OFFICERS, SECRET, Clock


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(database_url, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(pool, clock: Clock) -> Deps:
    return Deps(pool=pool, transactions=Transactions(pool, SPEC.name), calendar=CALENDAR,
                catalog=CATALOG, at_risk_working_days=1, now=clock)


@pytest.fixture(scope="session")
def officers() -> OfficerDirectory:
    return OFFICERS  # the accounts support.bearer issues tokens for


@pytest.fixture
async def http(deps: Deps, officers: OfficerDirectory) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(SPEC, ProcessingSettings())
    app.state.deps = replace(deps, officers=officers, tokens=TokenService(SECRET, 900))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://processing") as client:
        yield client
