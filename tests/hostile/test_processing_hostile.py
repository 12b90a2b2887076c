"""Processing's findings of the hostile-input review, replayed through its HTTP edge with
tokens from its own sign-in route: each is answered by the 4xx that says why, never a 5xx.
(The fuzzing pass over the same routes is test_processing_fuzz.py.)"""

from __future__ import annotations

import pytest

from services.processing.officers import hash_password
from tests.hostile.processing_fixtures import *  # noqa: F403 - the fixtures, used by name
from tests.hostile.processing_fixtures import write_officers
from tests.integration.processing.support import OWN

pytestmark = pytest.mark.integration


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
