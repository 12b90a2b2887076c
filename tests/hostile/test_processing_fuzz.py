"""A bounded fuzzing pass over processing's officer API, with tokens from its sign-in route:
hostile strings (control characters, lone surrogates, bidi marks, megabytes), numbers JSON or
PostgreSQL cannot hold, and deep nesting, in every field of every action, in the queue's
parameters and in the path's dossier code. Nothing may answer 5xx. Derandomized and with a
fixed number of examples, so a run is the same run every time and takes well under a minute.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.processing.domain.rules import RULES, Action, Role
from tests.hostile.processing_fixtures import *  # noqa: F403 - the fixtures, used by name
from tests.hostile.processing_strategies import (
    ACTION_FIELDS,
    action_bodies,
    deep_json,
    hostile_text,
    path_codes,
    queue_queries,
    url_part,
)
from tests.integration.processing.support import FREE_AUTO, OWN, SETUP, dossier_in, submit

pytestmark = pytest.mark.integration


def fuzzed(examples: int) -> Callable[[Callable], Callable]:
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


# --- The pass -----------------------------------------------------------------------------


def answered(response: httpx.Response) -> None:
    request = response.request
    assert response.status_code < 500, (request.method, str(request.url)[:300],
                                        request.content[:300], response.text[:300])
    if response.status_code == 422:
        assert response.json()["detail"]


@pytest.fixture
async def officers_signed_in(sign_in) -> dict[Role, dict[str, str]]:
    return {role: await sign_in(f"{OWN}.{role.value}") for role in Role}


@pytest.fixture
async def dossier(deps) -> str:
    return await submit(deps, FREE_AUTO)


def acting_role(action: str) -> Role:
    """The role that may take the action, so that its content gets past the rules."""
    roles = RULES[Action(action)].roles
    return Role.APPROVER if Role.APPROVER in roles else min(roles)


@fuzzed(250)
@given(action=st.sampled_from(sorted(ACTION_FIELDS)), data=st.data())
async def test_any_action_body_is_answered_below_500(http, deps, officers_signed_in, action,
                                                     data) -> None:
    code = await dossier_in(http, deps, SETUP[action])  # where the action is allowed
    body = data.draw(action_bodies(action), label="body")
    answered(await http.post(f"/v1/dossiers/{code}/actions", content=body, headers={
        **officers_signed_in[acting_role(action)], "Content-Type": "application/json"}))


@fuzzed(40)
@given(body=deep_json)
async def test_deep_nesting_is_answered_below_500(http, dossier, officers_signed_in, body
                                                  ) -> None:
    wrapped = f'{{"action": "stop", "reason": {body}}}'
    for content in (body, wrapped):
        answered(await http.post(f"/v1/dossiers/{dossier}/actions", content=content, headers={
            **officers_signed_in[Role.APPROVER], "Content-Type": "application/json"}))


@fuzzed(200)
@given(query=queue_queries)
async def test_any_queue_query_is_answered_below_500(http, officers_signed_in, query) -> None:
    answered(await http.get(f"/v1/queue?{query}", headers=officers_signed_in[Role.INTAKE]))


@fuzzed(100)
@given(code=path_codes)
async def test_any_path_code_is_answered_below_500(http, officers_signed_in, code) -> None:
    for route in ("", "/audit", "/result-document"):
        answered(await http.get(f"/v1/dossiers/{url_part(code)}{route}",
                                headers=officers_signed_in[Role.APPROVER]))
    answered(await http.post(f"/v1/dossiers/{url_part(code)}/actions",
                             headers=officers_signed_in[Role.APPROVER],
                             json={"action": "stop", "reason": "Dừng"}))


@fuzzed(40)
@given(username=hostile_text, password=hostile_text)
async def test_any_sign_in_is_answered_below_500(http, username, password) -> None:
    answered(await http.post("/v1/auth/token", headers={"Content-Type": "application/json"},
                             content=json.dumps({"username": username, "password": password},
                                                ensure_ascii=True)))
