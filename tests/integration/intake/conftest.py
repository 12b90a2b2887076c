"""Intake's integration fixture: intake's routers and dependencies on a real, freshly migrated
PostgreSQL database, without the broker (events a use case records are asserted in the outbox,
where the relay would find them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.intake.support import Intake, running_intake


@pytest.fixture(scope="module")
async def intake(postgres_url: str, tmp_path_factory) -> AsyncIterator[Intake]:
    async with running_intake(postgres_url, tmp_path_factory.mktemp("documents")) as running:
        yield running
