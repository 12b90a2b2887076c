"""Payment's integration fixtures: a freshly migrated database, and the sandbox gateway
served over real HTTP (one server for the session: each test scripts its own references)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from deploy.sandbox.app import create_app
from services.payment.bootstrap import SPEC
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from tests.support import serve_http


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def sandbox_url() -> AsyncIterator[str]:
    async with serve_http(create_app()) as url:
        yield url
