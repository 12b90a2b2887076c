"""Processing's findings of the hostile-input review, replayed through its HTTP edge with
tokens from its own sign-in route: each is answered by the 4xx that says why, never a 5xx.
(The fuzzing pass over the same routes is test_processing_fuzz.py.)"""

from __future__ import annotations

import pytest

from services.processing.officers import hash_password
from tests.hostile.processing_fixtures import *  # noqa: F403 - the fixtures, used by name
from tests.hostile.processing_fixtures import write_officers
from tests.integration.processing.support import BODIES, FREE_AUTO, OTHER, OWN, submit

pytestmark = pytest.mark.integration


def routes(code: str) -> list[tuple[str, str, dict | None]]:
    """Every route that names a dossier: (method, path, JSON body)."""
    return [("GET", f"/v1/dossiers/{code}", None), ("GET", f"/v1/dossiers/{code}/audit", None),
            ("GET", f"/v1/dossiers/{code}/result-document", None),
            *[("POST", f"/v1/dossiers/{code}/actions", {"action": action, **body})
              for action, body in BODIES.items()]]


# --- 11: a token outlives a password change --------------------------------------------


async def test_a_token_dies_when_its_officers_password_changes_or_the_account_goes(
        http, officers, officers_file, sign_in) -> None:
    approver, specialist = await sign_in(f"{OWN}.approver"), await sign_in(f"{OWN}.specialist")
    assert (await http.get("/v1/queue", headers=approver)).status_code == 200
    write_officers(officers_file, {f"{OWN}.approver": hash_password("mật khẩu mới, dài hơn")})
    officers.reload()  # the operator changed the file; a restart reads it the same way
    refused = await http.get("/v1/queue", headers=approver)
    assert refused.status_code == 401, refused.text
    assert "sign in again" in refused.json()["detail"]
    assert refused.headers["www-authenticate"] == "Bearer"
    assert (await http.get("/v1/queue", headers=specialist)).status_code == 200
    granted = await http.post("/v1/auth/token", json={"username": f"{OWN}.approver",
                                                      "password": "mật khẩu mới, dài hơn"})
    fresh = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    assert (await http.get("/v1/queue", headers=fresh)).status_code == 200
    officers_file.write_text("officers: []\n", "utf-8")
    officers.reload()
    assert (await http.get("/v1/queue", headers=fresh)).status_code == 401


# --- 13: an existence oracle ------------------------------------------------------------


async def test_another_departments_dossier_answers_exactly_as_an_unknown_code(
        http, deps, sign_in) -> None:
    theirs = await submit(deps, FREE_AUTO)  # a dossier of OWN's department
    unknown = theirs.rsplit("-", 1)[0] + "-999999"
    stranger = await sign_in(f"{OTHER}.approver")
    for (method, path, body), (_, unknown_path, _) in zip(routes(theirs), routes(unknown),
                                                           strict=True):
        seen = await http.request(method, path, json=body, headers=stranger)
        missing = await http.request(method, unknown_path, json=body, headers=stranger)
        assert seen.status_code == missing.status_code == 404, (path, seen.text)
        assert seen.json() == {"detail": f"no dossier {theirs!r}"}, path
        assert missing.json() == {"detail": f"no dossier {unknown!r}"}, path
