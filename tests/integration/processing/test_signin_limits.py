"""Officers' sign-in: attempts limited per account and per client address, counted in
PostgreSQL so every replica shares one count; 429 with Retry-After past a limit; outside
development processing does not start without its token key."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from services.processing.bootstrap import SPEC, assemble
from services.processing.deps import Deps
from services.processing.officers import (
    DEV_PASSWORD,
    OfficerDirectory,
    SignInLimits,
    SignInThrottled,
    admit_sign_in,
)
from services.processing.settings import ProcessingSettings
from services.processing.tokens import MissingTokenSecret, TokenService
from shared.runtime.db import create_pool
from shared.runtime.service import Platform, build_app
from tests.integration.processing.support import SECRET, Clock

pytestmark = pytest.mark.integration
LIMITS = SignInLimits(per_account=3, per_client=6, window_s=600)


def _app(deps: Deps, officers: OfficerDirectory, **changes) -> httpx.AsyncClient:
    app = build_app(SPEC, ProcessingSettings())
    app.state.deps = replace(deps, officers=officers, tokens=TokenService(SECRET, 900),
                             sign_in_limits=LIMITS, **changes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                             base_url="http://processing")


async def _sign_in(http: httpx.AsyncClient, username: str,
                   password: str = "wrong-password",  # noqa: S107 - a guess
                   **headers: str) -> httpx.Response:
    return await http.post("/v1/auth/token", json={"username": username, "password": password},
                           headers=headers)


def _retry_after(answer: httpx.Response) -> int:
    assert answer.status_code == 429, answer.text
    assert "thử lại sau" in answer.json()["detail"]
    return int(answer.headers["Retry-After"])


async def test_guessing_one_accounts_password_is_stopped_with_retry_after(
        deps: Deps, officers: OfficerDirectory, clock: Clock) -> None:
    async with _app(deps, officers) as http:
        for _ in range(LIMITS.per_account):
            assert (await _sign_in(http, "tp.approver")).status_code == 401
        wait = _retry_after(await _sign_in(http, "tp.approver"))
        assert 0 < wait <= LIMITS.window_s
        # Even the right password waits: the limit is judged before the password.
        assert _retry_after(await _sign_in(http, "tp.approver", DEV_PASSWORD)) <= wait
        # Another account from the same address is not locked by it.
        assert (await _sign_in(http, "tp.specialist", DEV_PASSWORD)).status_code == 200
        clock.advance(seconds=wait)
        assert (await _sign_in(http, "tp.approver", DEV_PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_stopped(
        deps: Deps, officers: OfficerDirectory) -> None:
    async with _app(deps, officers) as http:
        for n in range(LIMITS.per_client):
            assert (await _sign_in(http, f"guess-{n}")).status_code == 401
        _retry_after(await _sign_in(http, "tp.approver", DEV_PASSWORD))


async def test_a_good_sign_in_clears_its_account_and_gives_the_address_its_attempt_back(
        deps: Deps, officers: OfficerDirectory) -> None:
    async with _app(deps, officers) as http:
        for _ in range(10):  # an officer signing in all day is never limited
            assert (await _sign_in(http, "tp.approver", DEV_PASSWORD)).status_code == 200
        for _ in range(LIMITS.per_account - 1):
            assert (await _sign_in(http, "tp.approver")).status_code == 401
        assert (await _sign_in(http, "tp.approver", DEV_PASSWORD)).status_code == 200
        for _ in range(LIMITS.per_account):
            assert (await _sign_in(http, "tp.approver")).status_code == 401


async def test_the_client_address_behind_a_trusted_proxy_is_the_forwarded_one(
        deps: Deps, officers: OfficerDirectory) -> None:
    async with _app(deps, officers, trusted_proxies=("127.0.0.1",)) as http:
        for n in range(LIMITS.per_client):
            assert (await _sign_in(http, f"guess-{n}", **{"X-Forwarded-For": "203.0.113.7"})
                    ).status_code == 401
        _retry_after(await _sign_in(http, "x", **{"X-Forwarded-For": "203.0.113.7"}))
        answer = await _sign_in(http, "tp.approver", DEV_PASSWORD,
                                **{"X-Forwarded-For": "198.51.100.9"})
        assert answer.status_code == 200


async def test_two_replicas_share_the_count(deps: Deps, officers: OfficerDirectory,
                                            database_url: str) -> None:
    other_pool = await create_pool(database_url)
    try:
        async with _app(deps, officers) as one, \
                _app(replace(deps, pool=other_pool), officers) as other:
            for http in (one, other, one):
                assert (await _sign_in(http, "tp.approver")).status_code == 401
            _retry_after(await _sign_in(other, "tp.approver"))
            _retry_after(await _sign_in(one, "tp.approver"))
    finally:
        await other_pool.close()


async def test_the_throttle_is_an_exception_the_console_can_catch(deps: Deps) -> None:
    for _ in range(LIMITS.per_account):
        await admit_sign_in(deps.pool, LIMITS, deps.now(), "tp.intake", "10.0.0.1")
    with pytest.raises(SignInThrottled) as throttled:
        await admit_sign_in(deps.pool, LIMITS, deps.now(), "tp.intake", "10.0.0.2")
    assert throttled.value.scope == "account"
    assert 0 < throttled.value.retry_after <= LIMITS.window_s
    rows = await deps.pool.fetch("SELECT key FROM sign_in_attempt")
    assert rows and not any("tp.intake" in r["key"] or "10.0.0" in r["key"] for r in rows)


@pytest.mark.parametrize("environment", ["production", "staging"])
async def test_outside_development_processing_refuses_to_start_without_its_token_key(
        environment: str) -> None:
    settings = ProcessingSettings(environment=environment, token_secret=None)
    platform = Platform(settings=settings, pool=None, broker=None,  # type: ignore[arg-type]
                        transactions=None)  # type: ignore[arg-type]
    with pytest.raises(MissingTokenSecret, match="PROCESSING_TOKEN_SECRET"):
        async with assemble(platform):
            pass


async def test_in_development_an_unset_token_key_is_a_random_one(pool) -> None:
    settings = ProcessingSettings(environment="development", token_secret=None)
    platform = Platform(settings=settings, pool=pool, broker=None,  # type: ignore[arg-type]
                        transactions=None)  # type: ignore[arg-type]
    async with assemble(platform) as deps:
        assert deps.tokens is not None
