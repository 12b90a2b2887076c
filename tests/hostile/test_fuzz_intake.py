"""A fuzzing pass over intake's HTTP interface, with signed portal requests.

Hypothesis generates hostile values (controls, bidi overrides, lone surrogates, huge numbers,
deep nesting, wrong types) and puts them in otherwise valid submissions, supplements,
withdrawals, path and query parameters. Portal requests are signed after the body is built,
as a real portal signs them: unsigned, a fuzzer only ever meets 401. Whatever comes in, the
answer is never a 5xx, and a 4xx says why. Deterministic (derandomize) and bounded
(max_examples), so it runs in ``make test`` in seconds.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.portal.auth import signed_headers
from shared.portal.client import sign_request
from tests.integration.intake.support import SECRETS, Intake, submission

pytestmark = pytest.mark.integration
FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
NASTY = ["\x00", "\u202e", "\ud800", "\udfff", "\n", "\r\n", "\t", "\x1b[2J", "\ufeff",
         "٠٩١٢", "０９", "../../etc/passwd", "%00", "𝟘𝟙", "'; DROP TABLE dossier; --", "ǅ",
         "\u0301", "9" * 400, "VTH-250101-0001", "x" * 5000]
hostile_text = st.one_of(st.sampled_from(NASTY),
                         st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
                         st.lists(st.sampled_from(NASTY), max_size=4).map("".join))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=False), hostile_text)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12)
FIELDS = [("portal_submission_id",), ("procedure_code",), ("channel",), ("return_method",),
          ("postal_address",), ("applicant",), ("applicant", "full_name"),
          ("applicant", "id_number"), ("applicant", "phone"), ("applicant", "email"),
          ("submitted_by",), ("submitted_by", "kind"), ("submitted_by", "name"),
          ("documents",), ("documents", 0), ("documents", 0, "kind"),
          ("documents", 0, "filename"), ("documents", 0, "content_type"),
          ("documents", 0, "content_base64"), ("documents", 0, "sha256")]


def _encoded(body: Any) -> bytes:
    return json.dumps(body).encode()  # ASCII escapes: even a lone surrogate has bytes


async def _post_signed(intake: Intake, path: str, raw: bytes):
    headers = {**signed_headers("portal-a", SECRETS["portal-a"], raw, method="POST", path=path),
               "Content-Type": "application/json"}
    return await intake.http.post(path, content=raw, headers=headers)


def _judged(answer) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["detail"], answer.text


@pytest.fixture(scope="module")
async def procedure(intake: Intake) -> dict:
    return (await intake.http.get("/v1/procedures/2.002189")).json()


@FUZZ
@given(where=st.sampled_from(FIELDS), value=values)
async def test_a_hostile_value_in_any_field_of_a_submission(intake: Intake, procedure: dict,
                                                            where: tuple, value: Any) -> None:
    body = submission(procedure, submitted_by={"kind": "helper", "name": "Trần Văn Nam"})
    target: Any = body
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    _judged(await _post_signed(intake, "/v1/dossiers", _encoded(body)))


@FUZZ
@given(body=values, path=st.sampled_from(["/v1/dossiers", "/v1/dossiers/VTH-250101-0001/withdraw",
                                          "/v1/dossiers/VTH-250101-0001/supplements"]))
async def test_any_json_body_on_any_signed_route(intake: Intake, body: Any, path: str) -> None:
    _judged(await _post_signed(intake, path, _encoded(body)))


@FUZZ
@given(code=hostile_text, other=hostile_text)
async def test_hostile_path_and_query_parameters(intake: Intake, code: str, other: str) -> None:
    def q(text: str) -> str:  # as a hostile client sends it: any bytes, percent-encoded
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    signed = sign_request(intake.http.build_request("GET", f"/v1/dossiers/{q(code)}"),
                          "portal-a", SECRETS["portal-a"])
    for answer in [
        await intake.http.send(signed),
        await intake.http.get(f"/v1/track/{q(code)}?phone_last4={q(other)}"),
        await intake.http.get(f"/v1/procedures/{q(code)}"),
        await intake.http.get(f"/v1/due-date?procedure_code={q(code)}&received_at={q(other)}"),
        await intake.http.get(f"/v1/calendar/{q(code)}"),
    ]:
        _judged(answer)
