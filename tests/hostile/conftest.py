"""The hostile-input suite: each finding of the security review replayed through intake's
public HTTP interface, with portal requests signed as a real portal signs them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.intake.support import Intake, running_intake


@pytest.fixture(scope="module")
async def intake(postgres_url: str, tmp_path_factory) -> AsyncIterator[Intake]:
    async with running_intake(postgres_url, tmp_path_factory.mktemp("documents"),
                              max_json_body_bytes=1024 * 1024) as running:
        yield running
