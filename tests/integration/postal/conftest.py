"""Postal's integration fixtures: a freshly migrated database, and the sandbox carrier over
real HTTP (one server for the session: each test scripts its own references)."""

import pytest

from services.postal.bootstrap import SPEC
from tests.support import pool_fixture, sandbox_served

pool = pool_fixture(SPEC.migrations)
sandbox_url = pytest.fixture(scope="session")(sandbox_served)
