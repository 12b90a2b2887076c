"""Notification's integration fixtures: a freshly migrated database (the SMTP servers are
started by each test: tests.support.smtp_server, deploy.local.smtp_sink)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.notification.bootstrap import SPEC
from tests.support import migrated_pool


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator:
    async with migrated_pool(database_url, SPEC.migrations) as pool:
        yield pool
