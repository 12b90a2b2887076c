"""Processing's findings of the hostile-input review, replayed through its HTTP edge with
tokens from its own sign-in route: each is answered by the 4xx that says why, never a 5xx.
Finding 7's inputs are replayed in test_processing_hostile_input.py, and the fuzzing pass
over the same routes is test_processing_fuzz.py."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest

from services.processing.handlers.events import on_payment_completed
from services.processing.officers import hash_password
from shared.contracts.events import Envelope, PaymentCompleted
from tests.hostile.processing_fixtures import *  # noqa: F403 - the fixtures, used by name
from tests.hostile.processing_fixtures import dossier_routes, write_officers
from tests.integration.processing.support import FREE_AUTO, OTHER, OWN, submit

pytestmark = pytest.mark.integration
WITH_FEE = "VTH-LOCAL-03"  # ktht, received at once, awaits its fee of 10 000


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
    pairs = zip(dossier_routes(theirs), dossier_routes(unknown), strict=True)
    for (method, path, body), (_, unknown_path, _) in pairs:
        seen = await http.request(method, path, json=body, headers=stranger)
        missing = await http.request(method, unknown_path, json=body, headers=stranger)
        assert seen.status_code == missing.status_code == 404, (path, seen.text)
        assert seen.json() == {"detail": f"no dossier {theirs!r}"}, path
        assert missing.json() == {"detail": f"no dossier {unknown!r}"}, path
