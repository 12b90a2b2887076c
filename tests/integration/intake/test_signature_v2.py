"""Portal signature version 2 over HTTP, on a real database: a signature is good for one
method, path, query and body, once, whichever replica sees it again."""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
import pytest

from services.intake.api import signature
from services.intake.api.signature import remember_nonce
from shared.portal.auth import Claim, signed_headers
from shared.portal.client import sign_request
from shared.runtime.db import create_pool
from tests.integration.intake.support import SECRETS, Intake, intake_app, registered

pytestmark = pytest.mark.integration


def _signed_get(intake: Intake, target: str) -> httpx.Request:
    return sign_request(intake.http.build_request("GET", target), "portal-a",
                        SECRETS["portal-a"])


def _detail(answer: httpx.Response) -> str:
    assert answer.status_code == 401, answer.text
    assert answer.headers["WWW-Authenticate"].startswith("MOTCUA-HMAC-SHA256-2")
    return str(answer.json()["detail"])


async def test_a_captured_get_replayed_as_a_withdrawal_is_refused(intake: Intake) -> None:
    code, _ = await registered(intake)
    get = _signed_get(intake, f"/v1/dossiers/{code}")
    assert (await intake.http.send(get)).status_code == 200
    replayed = intake.http.build_request(
        "POST", f"/v1/dossiers/{code}/withdraw", content=b"",
        headers={k: v for k, v in get.headers.items() if k.lower().startswith("x-")})
    assert "does not match this request" in _detail(await intake.http.send(replayed))
    # Unreplayed too (a fresh nonce), the GET's signature does not make a POST.
    get = _signed_get(intake, f"/v1/dossiers/{code}")
    replayed.headers.update({k: v for k, v in get.headers.items() if k.lower() == "x-nonce"})
    assert "does not match this request" in _detail(await intake.http.send(replayed))
    view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    assert view["status"] != "withdrawn"


async def test_a_replayed_request_is_refused_naming_its_nonce(intake: Intake) -> None:
    code, _ = await registered(intake)
    get = _signed_get(intake, f"/v1/dossiers/{code}")
    assert (await intake.http.send(get)).status_code == 200
    again = intake.http.build_request("GET", f"/v1/dossiers/{code}", headers=get.headers)
    assert "X-Nonce: already used" in _detail(await intake.http.send(again))


async def test_a_nonce_used_on_one_replica_is_refused_on_another(intake: Intake,
                                                                 postgres_url: str) -> None:
    code, _ = await registered(intake)
    database = await intake.pool.fetchval("SELECT current_database()")
    other_pool = await create_pool(postgres_url.rsplit("/", 1)[0] + f"/{database}")
    try:
        other = intake_app(replace(intake.deps, pool=other_pool))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other),
                                     base_url="http://intake") as replica:
            get = _signed_get(intake, f"/v1/dossiers/{code}")
            assert (await replica.send(get)).status_code == 200
            again = intake.http.build_request("GET", f"/v1/dossiers/{code}",
                                              headers=get.headers)
            assert "already used" in _detail(await intake.http.send(again))
    finally:
        await other_pool.close()


async def test_a_changed_query_is_refused(intake: Intake) -> None:
    code, _ = await registered(intake)
    get = sign_request(intake.http.build_request("GET", f"/v1/dossiers/{code}",
                                                 params={"view": "full", "lang": "vi"}),
                       "portal-a", SECRETS["portal-a"])
    changed = intake.http.build_request("GET", f"/v1/dossiers/{code}?view=summary&lang=vi",
                                        headers=get.headers)
    assert "does not match this request" in _detail(await intake.http.send(changed))
    # The same pairs in another order are the same query.
    reordered = intake.http.build_request("GET", f"/v1/dossiers/{code}?lang=vi&view=full",
                                          headers=get.headers)
    assert (await intake.http.send(reordered)).status_code == 200


async def test_a_version_1_signature_is_refused_naming_version_2(intake: Intake) -> None:
    headers = signed_headers("portal-a", SECRETS["portal-a"], b"", method="GET",
                             path="/v1/dossiers/VTH-250101-0001")
    del headers["X-Nonce"]
    detail = _detail(await intake.http.get("/v1/dossiers/VTH-250101-0001", headers=headers))
    assert "version 1" in detail and "sign version 2" in detail


async def test_expired_nonces_are_swept(intake: Intake, monkeypatch) -> None:
    now = time.time()
    old = Claim("portal-a", str(int(now) - 900), "expired-nonce-000000", "0" * 64,
                int(now) - 500)
    assert await remember_nonce(intake.pool, old, now=now - 600)
    monkeypatch.setattr(signature, "_swept_at", 0.0)
    fresh = Claim("portal-a", str(int(now)), "fresh-nonce-00000000", "0" * 64, int(now) + 301)
    assert await remember_nonce(intake.pool, fresh, now=now)
    left = {r["nonce"] for r in await intake.pool.fetch(
        "SELECT nonce FROM portal_nonce WHERE nonce = ANY($1)",
        [old.nonce, fresh.nonce])}
    assert left == {fresh.nonce}
