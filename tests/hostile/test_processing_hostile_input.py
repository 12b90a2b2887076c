"""Findings 7 and 2 of the hostile-input review, replayed through processing's HTTP edge
with tokens from its sign-in route: what reached PostgreSQL or FastAPI's answer and came back
as a 500 (an OFFSET past bigint, NUL in text, a lone surrogate or an infinite number echoed
in a 422) is a 4xx that names the field and says why; a body larger than its route takes is
a 413 before it is read."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import psutil
import pytest

from services.processing.domain.result_file import MAX_BYTES
from tests.hostile.processing_fixtures import *  # noqa: F403 - the fixtures, used by name
from tests.hostile.processing_fixtures import dossier_routes
from tests.integration.processing.support import BODIES, FREE_AUTO, OWN, dossier_in, submit

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("params", "field"), [
    ({"page": "99999999999999999999"}, "page"), ({"page": "10001"}, "page"),
    ({"page_size": "101"}, "page_size"), ({"page": "0"}, "page"), ({"q": "TP\x00"}, "q"),
    ({"q": "a\x1bb"}, "q"), ({"q": "x" * 101}, "q"),
])
async def test_queue_parameters_out_of_bounds_are_a_422_naming_them(http, sign_in, params,
                                                                    field) -> None:
    answer = await http.get("/v1/queue", params=params, headers=await sign_in(f"{OWN}.intake"))
    assert answer.status_code == 422, answer.text
    assert [e["loc"] for e in answer.json()["detail"]] == [["query", field]]


async def test_the_last_page_allowed_answers_an_empty_page(http, sign_in) -> None:
    answer = await http.get("/v1/queue", params={"page": "10000", "page_size": "100"},
                            headers=await sign_in(f"{OWN}.intake"))
    assert answer.status_code == 200 and answer.json()["items"] == []


async def test_control_characters_in_any_text_of_an_action_are_a_422_naming_the_field(
        http, deps, sign_in) -> None:
    code = await submit(deps, FREE_AUTO)
    approver = await sign_in(f"{OWN}.approver")
    hostile = {
        ("refuse_at_intake", "reason"): {"reason": "Sai\x00"},
        ("stop", "reason"): {"reason": "Dừng\x07"},
        ("request_supplement", "missing", 0): {"missing": ["Tờ\x00khai"], "reason": "Thiếu"},
        ("approve", "result_document", "filename"): {"result_document": {
            **BODIES["approve"]["result_document"], "filename": "kq\x00.pdf"}},
        ("issue_apology", "reason"): {"reason": "\x1b[31m", "new_due_date": "2025-03-31"},
    }
    for (action, *loc), body in hostile.items():
        answer = await http.post(f"/v1/dossiers/{code}/actions", headers=approver,
                                 json={"action": action, **body})
        assert answer.status_code == 422, (action, answer.text)
        assert [e["loc"] for e in answer.json()["detail"]] == [["body", action, *loc]]
    assert (await http.get(f"/v1/dossiers/{code}", headers=approver)).json()["version"] == 1


@pytest.mark.parametrize("code", ["AB%00-250303-0001", "%00", "T1-250303-0001%0A",
                                  "t1-250303-0001", "T1-250303-01"])
async def test_a_path_code_that_cannot_be_a_dossier_code_is_a_422(http, sign_in, code) -> None:
    officer = await sign_in(f"{OWN}.approver")
    for method, path, body in dossier_routes(code):
        answer = await http.request(method, path, json=body, headers=officer)
        assert answer.status_code == 422, (path, answer.text)
        assert [e["loc"] for e in answer.json()["detail"]] == [["path", "code"]]


RAW_BODIES = {
    "a lone surrogate in a reason": b'{"action": "stop", "reason": "D\\udc00ng"}',
    "a lone surrogate as a key": b'{"action": "stop", "reason": "x", "\\ud800": 1}',
    "a lone surrogate as the action": b'{"action": "\\ud800", "reason": "x"}',
    "a number of 5000 digits": b'{"action": "stop", "reason": "x", "version": '
                               + b"9" * 5000 + b"}",
    "a version too large": b'{"action": "stop", "reason": "x", "version": 1e400}',
    "nesting 100 000 deep": b"[" * 100_000 + b"]" * 100_000,
    "nesting 900 deep in a field": b'{"action": "stop", "reason": "x", "version": '
                                   + b"[" * 900 + b"]" * 900 + b"}",
    "bytes that are not UTF-8": b'{"action": "stop", "reason": "\xed\xa0\x80"}',
}


@pytest.mark.parametrize("content", RAW_BODIES.values(), ids=RAW_BODIES.keys())
async def test_json_no_parser_should_take_is_a_4xx_on_every_body(http, deps, sign_in,
                                                                 content) -> None:
    code = await submit(deps, FREE_AUTO)
    for path, headers in ((f"/v1/dossiers/{code}/actions", await sign_in(f"{OWN}.approver")),
                          ("/v1/auth/token", {})):
        answer = await http.post(path, content=content, headers={
            **headers, "Content-Type": "application/json"})
        assert answer.status_code in (400, 413, 422), (path, answer.status_code,
                                                      answer.text[:300])


@pytest.mark.parametrize("credentials", [
    {"username": "ktht.approver", "password": "\ud800"},
    {"username": "ktht.\x00approver", "password": "x"},
    {"username": "\udfff", "password": "x"},
])
async def test_sign_in_refuses_what_no_account_can_hold(http, credentials) -> None:
    answer = await http.post("/v1/auth/token", content=_json(credentials),
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text


def _json(value: dict) -> bytes:
    """JSON as a client that escapes everything sends it (lone surrogates included)."""
    return json.dumps(value, ensure_ascii=True).encode()


MiB = 1 << 20


async def test_300_mb_posted_to_sign_in_is_a_413_and_never_held_in_memory(http) -> None:
    process = psutil.Process()
    before = peak = process.memory_info().rss

    async def body() -> AsyncIterator[bytes]:
        nonlocal peak
        for _ in range(300):
            peak = max(peak, process.memory_info().rss)  # sampled while the app reads
            yield b"x" * MiB

    answer = await http.post("/v1/auth/token", content=body(),
                             headers={"Content-Type": "application/json"})
    peak = max(peak, process.memory_info().rss)
    assert (answer.status_code, answer.json()) == (413, {"detail": "Content Too Large"})
    assert peak - before < 100 * MiB, f"grew by {(peak - before) // MiB} MiB"


async def test_an_action_takes_the_largest_result_document_and_no_more(http, deps,
                                                                        sign_in) -> None:
    approver = await sign_in(f"{OWN}.approver")
    document = {**BODIES["approve"]["result_document"],
                "content_base64": base64.b64encode(b"%PDF" + b"x" * (MAX_BYTES - 4)).decode()}
    code = await dossier_in(http, deps, "awaiting_approval")
    largest = await http.post(f"/v1/dossiers/{code}/actions", headers=approver, json={
        "action": "approve", "result_document": document, "reason": "Đủ điều kiện " * 150})
    assert largest.status_code == 200, largest.text[:300]
    too_large = await http.post(f"/v1/dossiers/{code}/actions", headers={
        **approver, "Content-Type": "application/json"}, content=b" " * (20 * MiB))
    assert (too_large.status_code, too_large.text) == (413, "Content Too Large")  # by length
