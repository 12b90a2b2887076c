"""Postal's integration fixtures: a freshly migrated database, and per test postal's HTTP edge
(the webhooks) and a sandbox carrier of its own, both over real HTTP, the carrier's webhooks
pointed at the edge."""

from collections.abc import AsyncIterator

import pytest

from services.postal.bootstrap import SPEC
from tests.integration.postal.support import Postal, postal_stack
from tests.support import pool_fixture

pool = pool_fixture(SPEC.migrations)


@pytest.fixture
async def postal(pool) -> AsyncIterator[Postal]:
    async with postal_stack(pool) as stack:
        yield stack
