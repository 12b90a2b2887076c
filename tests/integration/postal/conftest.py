"""Postal's integration fixtures: a freshly migrated database, and the sandbox carrier
served over real HTTP (one server for the session: each test scripts its own references)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.postal.bootstrap import SPEC
from tests.support import migrated_pool, sandbox_served


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator:
    async with migrated_pool(database_url, SPEC.migrations) as pool:
        yield pool


sandbox_url = pytest.fixture(scope="session")(sandbox_served)
