"""Session fixtures: the real database server and broker integration tests run against.

``DATABASE_URL`` / ``KAFKA_BOOTSTRAP_SERVERS`` select external ones; otherwise the session
starts its own embedded PostgreSQL and Tansu on free ports in a fresh temporary folder, so tests
never touch a running ``make run``, and stops them at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import free_port, wait_until

__all__ = ["free_port", "wait_until"]

# Durability is worthless for throw-away test data; these make each commit cheap.
TEST_POSTGRES_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(scope="session")
def stack_tmp_dir() -> Iterator[Path]:
    """A short temporary folder (a Unix socket path must stay under ~107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="mot-cua-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(stack_tmp_dir: Path) -> Iterator[str]:
    """The PostgreSQL server's URL (database ``postgres``); tests create their own databases."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from deploy.local.postgres import EmbeddedPostgres

    with EmbeddedPostgres(stack_tmp_dir / "postgres", free_port(), log_dir=stack_tmp_dir,
                          settings=TEST_POSTGRES_SETTINGS) as server:
        yield server.url


@pytest.fixture(scope="session")
def kafka_bootstrap(stack_tmp_dir: Path) -> Iterator[str]:
    """The broker's bootstrap servers; an embedded broker has no topics at the start."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
        return
    from deploy.local.broker import EmbeddedBroker

    with EmbeddedBroker(free_port(), log_dir=stack_tmp_dir) as broker:
        yield broker.bootstrap_servers


# --- service fixtures below ---
