"""Processing's findings of the hostile-input review, replayed through its HTTP edge with
tokens from its own sign-in route: each is answered by the 4xx that says why, never a 5xx.
(The fuzzing pass over the same routes is test_processing_fuzz.py.)"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.processing.handlers.events import on_payment_completed
from services.processing.officers import hash_password
from shared.contracts.events import Envelope, PaymentCompleted
from tests.hostile.processing_fixtures import *  # noqa: F403 - the fixtures, used by name
from tests.hostile.processing_fixtures import write_officers
from tests.integration.processing.support import BODIES, FREE_AUTO, OTHER, OWN, submit

pytestmark = pytest.mark.integration
WITH_FEE = "VTH-LOCAL-03"  # ktht, received at once, awaits its fee of 10 000


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


# --- 12: dates without bounds -----------------------------------------------------------


async def test_every_date_an_officer_gives_is_bounded_and_the_answer_names_the_bound(
        http, deps, sign_in) -> None:
    code = await submit(deps, FREE_AUTO)
    approver, specialist = await sign_in(f"{OWN}.approver"), await sign_in(f"{OWN}.specialist")
    view = (await http.get(f"/v1/dossiers/{code}", headers=approver)).json()
    latest_due = date.fromisoformat(view["statutory_due_date"]) + timedelta(days=365)
    far = await http.post(f"/v1/dossiers/{code}/actions", headers=approver, json={
        "action": "issue_apology", "reason": "Cần xác minh", "new_due_date": "9999-12-30"})
    assert far.status_code == 422, far.text
    assert (far.json()["field"], far.json()["latest"]) == ("new_due_date", str(latest_due))
    assert "new_due_date" in far.json()["detail"] and str(latest_due) in far.json()["detail"]
    assert (await http.post(f"/v1/dossiers/{code}/actions", headers=specialist,
                            json={"action": "start"})).status_code == 200
    latest_deadline = deps.now().date() + timedelta(days=365)
    for deadline in ("9999-12-30", str(latest_deadline + timedelta(days=1))):
        late = await http.post(f"/v1/dossiers/{code}/actions", headers=specialist, json={
            "action": "request_supplement", "missing": ["Tờ khai"], "reason": "Thiếu",
            "deadline": deadline})
        assert late.status_code == 422, late.text
        assert (late.json()["field"], late.json()["latest"]) == ("deadline", str(latest_deadline))
    after = (await http.get(f"/v1/dossiers/{code}", headers=approver)).json()
    assert (after["status"], after["due_date"]) == ("in_progress", view["due_date"])


async def test_a_dossier_given_an_extreme_date_before_the_bounds_still_resumes(
        http, deps, pool, clock, sign_in) -> None:
    code = await submit(deps, WITH_FEE)
    # What an apology to 9999-12-30 left behind when it was still accepted.
    dossier_id = await pool.fetchval("UPDATE dossier_case SET due_date = '9999-12-30' "
                                     "WHERE code = $1 RETURNING id", code)
    clock.advance(days=3)
    paid = PaymentCompleted(dossier_code=code, payment_id=uuid.uuid4(), amount=Decimal(10_000),
                            gateway_transaction_id="GW-1")
    envelope = Envelope.wrap(paid, dossier_id=dossier_id, producer="payment",
                             occurred_at=clock.now)
    async with deps.transactions(envelope) as uow:
        await on_payment_completed(deps, paid, envelope, uow)
        await uow.commit()
    view = (await http.get(f"/v1/dossiers/{code}", headers=await sign_in(f"{OWN}.intake"))
            ).json()
    assert (view["status"], view["due_date"]) == ("accepted", "9999-12-30")


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


# --- 7: inputs that reached PostgreSQL and answered 500 -----------------------------------


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
    for method, path, body in routes(code):
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
        assert answer.status_code in (400, 422), (path, answer.status_code, answer.text[:300])


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
