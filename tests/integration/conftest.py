from __future__ import annotations

import uuid

import pytest

from shared.runtime.db import ensure_database
from shared.runtime.settings import with_database


@pytest.fixture
async def database_url(postgres_url: str) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    url = with_database(postgres_url, f"test_{uuid.uuid4().hex[:12]}")
    await ensure_database(url)
    return url
