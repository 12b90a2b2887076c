"""Schemathesis over every service's OpenAPI: no generated request gets a server error.

Each service runs as production assembles it (``build_app`` and the service's own
composition root, ``SPEC.assemble``) on a fresh, migrated database of the session's
PostgreSQL and on the session's broker, reached in-process over ASGI. Schemathesis reads the
app's own OpenAPI document and generates requests for each operation, valid ones and
invalid ones (wrong types, missing fields, values outside the schema). They get past
authentication as real clients do: intake's portal requests are signed (signature version 2)
over exactly the method, path, query and body sent; processing's officer routes carry a
token from ``POST /v1/auth/token``; notification's operator routes the operator token.

Checked on every answer: not a server error (an exception in the app fails the test with its
traceback), a status code and a content type the operation documents, and a body that
matches the documented response schema. Deterministic (derandomize: a fixed seed derived
from each test) and bounded: ``MOT_CUA_FUZZ_EXAMPLES`` examples per operation and generation
mode (default 5: ten requests per operation with a body or constrained
parameters); raise it for a longer session (docs/security.md, "API fuzzing").
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from faststream.kafka import KafkaBroker
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from deploy.contracts import openapi
from shared.portal.client import sign_request
from shared.runtime.db import ensure_database
from shared.runtime.outbox import Transactions
from shared.runtime.service import Platform, build_app
from shared.runtime.settings import with_database
from tests.support import migrated_pool

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("MOT_CUA_FUZZ_EXAMPLES", "5"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                # The stacks are module fixtures shared by every example on purpose; a
                # negative case that cannot be sent at all (a header httpx refuses) is rejected.
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.filter_too_much])
UNPARSABLE = "There was an error parsing the body"


def documented_status(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """status_code_conformance, less FastAPI's own 400 for a body that is not JSON at all
    (its answer on every route with a JSON body, that no route's OpenAPI lists)."""
    if response.status_code == 400 and response.headers.get("content-type") == [
            "application/json"] and response.json() == {"detail": UNPARSABLE}:
        return None
    return status_code_conformance(ctx, response, case)


CHECKS = [not_a_server_error, documented_status, content_type_conformance,
          response_schema_conformance]
PORTAL, PORTAL_SECRET = "portal-fuzz", "portal-fuzz-secret-0001"
OPERATOR_TOKEN = "operator-fuzz-token-0001"  # noqa: S105 (a test's own setting)
OFFICER_TOKEN_KEY = "officer-token-key-of-the-fuzz-run-0001"  # noqa: S105 (processing's key)
SERVICES = ("intake", "processing", "payment", "postal", "notification", "reporting")


def _settings(service: str, database_url: str, postgres_url: str, kafka: str,
              tmp: Path) -> Any:
    from urllib.parse import urlsplit

    module = __import__(f"services.{service}.settings", fromlist=["_"])
    settings_class = next(value for name, value in vars(module).items()
                          if name.endswith("Settings") and isinstance(value, type)
                          and value.__module__ == module.__name__)
    extra: dict[str, Any] = {
        "intake": {"portal_secrets": f"{PORTAL}:{PORTAL_SECRET}", "document_dir": tmp,
                   "tracking_rate_limit": "100000/minute",
                   "tracking_code_rate_limit": "100000/hour",
                   "officer_token_secret": OFFICER_TOKEN_KEY},
        "processing": {"document_dir": tmp, "token_secret": OFFICER_TOKEN_KEY},
        "notification": {"operator_token": OPERATOR_TOKEN},
    }.get(service, {})
    return settings_class(MOT_CUA_ENV="development", kafka_bootstrap_servers=kafka,
                          database_url=postgres_url,
                          database_name=urlsplit(database_url).path.lstrip("/"), **extra)


@dataclass
class Stack:
    """One service's app as production assembles it, and how its clients authenticate."""

    name: str
    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)
    sign: Callable[[httpx.Request], httpx.Request] = lambda request: request


@pytest.fixture(scope="module")
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(kafka_bootstrap)
    await broker.start()
    yield broker
    await broker.stop()


@pytest.fixture(scope="module")
async def stacks(postgres_url: str, kafka_bootstrap: str, broker: KafkaBroker,
                 tmp_path_factory) -> AsyncIterator[Callable[[str], Any]]:
    """``await stacks("intake")``: the service started once for the module, on first use."""
    started: dict[str, Stack] = {}
    async with AsyncExitStack() as exits:
        async def stack(name: str) -> Stack:
            if name in started:
                return started[name]
            spec = __import__(f"services.{name}.bootstrap", fromlist=["SPEC"]).SPEC
            url = with_database(postgres_url, f"fuzz_{name}_{uuid.uuid4().hex[:8]}")
            await ensure_database(url)
            pool = await exits.enter_async_context(migrated_pool(url, spec.migrations))
            config = _settings(name, url, postgres_url, kafka_bootstrap,
                               tmp_path_factory.mktemp(name))
            platform = Platform(settings=config, pool=pool, broker=broker,
                                transactions=Transactions(pool, spec.name))
            app = build_app(spec, config)  # no lifespan over ASGI: wired here instead
            app.state.platform = platform
            app.state.deps = await exits.enter_async_context(spec.assemble(platform))
            http = await exits.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"))
            started[name] = await _authenticated(Stack(name, http))
            return started[name]

        yield stack
    _got_past_authentication()


ANSWERED: dict[tuple[str, str], list[int]] = {}
"""Each fuzzed operation's statuses, for _got_past_authentication."""


def _got_past_authentication() -> None:
    """A signature or a token that stopped working would leave nothing but 401s, fuzzing
    nothing past the door, and pass: every fuzzed operation that requires one must have had
    answers of another kind (checked as the module's stacks stop)."""
    secured = [key for key in ANSWERED if OPERATIONS[key].definition.raw.get("security")
               or any(p.name == "X-Signature" for p in OPERATIONS[key].iter_parameters())]
    stopped = [key for key in secured if set(ANSWERED[key]) <= {401}]
    assert not stopped, f"only 401 answers, the fuzzing never got past authentication: {stopped}"


async def _authenticated(stack: Stack) -> Stack:
    if stack.name == "intake":
        from services.processing.officers import OfficerDirectory
        from shared.runtime.officer_tokens import TokenService

        stack.sign = lambda request: sign_request(request, PORTAL, PORTAL_SECRET)
        officer = OfficerDirectory.development({"tp"}).account("tp.approver")
        assert officer is not None  # the officers' verify of the timeline takes their token
        stack.headers = {"Authorization":
                         f"Bearer {TokenService(OFFICER_TOKEN_KEY, 900).issue(officer)}"}
    elif stack.name == "processing":
        from services.processing.officers import DEV_PASSWORD

        granted = await stack.http.post("/v1/auth/token", json={
            "username": "tp.approver", "password": DEV_PASSWORD})
        assert granted.status_code == 200, granted.text
        stack.headers = {"Authorization": f"Bearer {granted.json()['access_token']}"}
    elif stack.name == "notification":
        stack.headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    return stack


SCHEMAS = {name: schemathesis.openapi.from_dict(openapi(name)) for name in SERVICES}
OPERATIONS = {(name, result.ok().label): result.ok()
              for name, schema in SCHEMAS.items() for result in schema.get_all_operations()}


def _can_be_wrong(operation: schemathesis.APIOperation) -> bool:
    """Whether a negative case exists: a body, or a parameter with a constraint to break
    (any string is a valid ``/v1/pay/{token}``: negative generation finds nothing there)."""
    plain = {"type": "string"}
    return bool(len(operation.body)) or any(
        {k: v for k, v in p.definition.get("schema", {}).items()
         if k not in ("title", "description")} != plain
        for p in operation.iter_parameters())


STRATEGIES = {(key, mode): operation.as_strategy(generation_mode=mode)
              for key, operation in OPERATIONS.items()
              for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
              if mode is GenerationMode.POSITIVE or _can_be_wrong(operation)}


def _request(case: schemathesis.Case, stack: Stack) -> httpx.Request:
    """The bytes Schemathesis means to send (its own serialisation, through requests'
    preparation), as an httpx request on the service's app; the test's credentials are
    put over any the case made up (the case's own Authorization is a random string)."""
    sent = case.as_transport_kwargs(base_url=str(stack.http.base_url).rstrip("/"))
    names = ("method", "url", "headers", "params", "cookies", "json", "data", "files")
    try:
        prepared = requests.Request(**{k: sent[k] for k in names if k in sent}).prepare()
        headers = {**dict(prepared.headers), **stack.headers}
        body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
        request = stack.http.build_request(prepared.method or "GET", prepared.url or "",
                                           headers=headers, content=body or b"")
    except (ValueError, TypeError, UnicodeError, requests.RequestException):
        reject()  # a negative case no HTTP client can send (a control character in a header)
    return stack.sign(request)


@pytest.mark.parametrize("key", sorted(STRATEGIES, key=lambda k: (*k[0], k[1].value)),
                         ids=lambda key: f"{key[0][0]}:{key[0][1]}:{key[1].value}")
@FUZZ
@given(data=st.data())
async def test_no_server_error(stacks, key: tuple[tuple[str, str], GenerationMode],
                               data: st.DataObject) -> None:
    stack = await stacks(key[0][0])
    case = data.draw(STRATEGIES[key], label="case")
    request = _request(case, stack)
    response = await stack.http.send(request)
    await response.aread()
    ANSWERED.setdefault(key[0], []).append(response.status_code)
    case.validate_response(response, checks=CHECKS)

