"""Processing's fixtures for the hostile-input tests, in a module of their own (other
services' hostile tests live beside them): the integration fixtures (a fresh, migrated
PostgreSQL database; the service's own app, without its lifespan), officers read from a real
officers file, and tokens obtained as an officer gets them, from ``POST /v1/auth/token``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import yaml

from services.processing.officers import DEV_PASSWORD, OfficerDirectory
from tests.integration.conftest import database_url
from tests.integration.processing.conftest import clock, deps, http, pool
from tests.integration.processing.support import BODIES, OTHER, OWN, account

__all__ = ["clock", "database_url", "deps", "http", "officers", "officers_file", "pool",
           "sign_in"]  # the fixtures; the helpers are imported by name
# The development accounts' hash (of DEV_PASSWORD), so support.bearer's tokens stay valid.
HASH = account(OWN, "approver").password_hash
ROLES = ("intake", "specialist", "approver")


def write_officers(path: Path, password_hashes: dict[str, str] | None = None) -> None:
    """The officers file an operator writes: every role of the two departments the tests
    use; ``password_hashes`` replaces some accounts' hashes."""
    changed = password_hashes or {}
    accounts = [{"username": f"{dept}.{role}", "department_code": dept, "role": role,
                 "password_hash": changed.get(f"{dept}.{role}", HASH)}
                for dept in (OWN, OTHER) for role in ROLES]
    path.write_text(yaml.safe_dump({"officers": accounts}), "utf-8")


@pytest.fixture
def officers_file(tmp_path: Path) -> Path:
    path = tmp_path / "officers.yaml"
    write_officers(path)
    return path


@pytest.fixture
def officers(officers_file: Path) -> OfficerDirectory:
    """Overrides the integration fixture of the same name: accounts from a file, as in
    production, so that a test can change the file and reload it."""
    return OfficerDirectory.from_file(officers_file)


SignIn = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def sign_in(http: httpx.AsyncClient) -> SignIn:
    """``await sign_in("ktht.approver")``: the headers of a token from the sign-in route."""
    async def signed_in(username: str) -> dict[str, str]:
        granted = await http.post("/v1/auth/token", json={"username": username,
                                                          "password": DEV_PASSWORD})
        assert granted.status_code == 200, granted.text
        return {"Authorization": f"Bearer {granted.json()['access_token']}"}
    return signed_in


def dossier_routes(code: str) -> list[tuple[str, str, dict | None]]:
    """Every route that names a dossier, each action once: (method, path, JSON body)."""
    return [("GET", f"/v1/dossiers/{code}", None), ("GET", f"/v1/dossiers/{code}/audit", None),
            ("GET", f"/v1/dossiers/{code}/result-document", None),
            *[("POST", f"/v1/dossiers/{code}/actions", {"action": action, **body})
              for action, body in BODIES.items()]]
