"""Officers through processing's HTTP edge, on a real database: signing in, the full
role × department × action permission matrix, refusals that change nothing, concurrent
actions, and the append-only audit trail."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date

import asyncpg
import pytest

from services.processing.domain.rules import Action, Role, Situation
from services.processing.officers import DEV_PASSWORD
from services.processing.tokens import TokenService
from shared.contracts.status import DossierStatus as S
from tests.integration.processing.support import (
    BODIES,
    OTHER,
    OWN,
    SECRET,
    SETUP,
    account,
    act,
    bearer,
    dossier_in,
)
from tests.support import assert_documented, openapi_document
from tests.unit.test_processing_rules import expected_roles

pytestmark = pytest.mark.integration

SITUATIONS = {"registered": Situation(S.REGISTERED), "accepted": Situation(S.ACCEPTED),
              "in_progress": Situation(S.IN_PROGRESS),
              "awaiting_approval": Situation(S.IN_PROGRESS, awaiting_approval=True)}


async def test_officers_sign_in_and_every_call_needs_a_valid_token(http, officers) -> None:
    wrong = await http.post("/v1/auth/token", json={"username": "tp.approver",
                                                    "password": "nope"})
    unknown = await http.post("/v1/auth/token", json={"username": "xx.approver",
                                                      "password": DEV_PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    granted = await http.post("/v1/auth/token", json={"username": "tp.approver",
                                                      "password": DEV_PASSWORD})
    assert granted.status_code == 200
    assert (granted.json()["department_code"], granted.json()["role"]) == ("tp", "approver")
    token = granted.json()["access_token"]
    assert (await http.get("/v1/queue", headers={"Authorization": f"Bearer {token}"})
            ).status_code == 200
    expired = TokenService(SECRET, -60).issue(account("tp", Role.APPROVER))
    forged = TokenService("another key, just as long as the real", 900).issue(
        account("tp", Role.APPROVER))
    ghost = bearer("zz", "approver")  # signed correctly, but no such account
    for headers in ({}, {"Authorization": f"Bearer {expired}"},
                    {"Authorization": f"Bearer {forged}"}, ghost):
        refused = await http.get("/v1/queue", headers=headers)
        assert refused.status_code == 401, (headers, refused.text)
    assert "expired" in (await http.get("/v1/queue", headers={
        "Authorization": f"Bearer {expired}"})).json()["detail"]


async def test_every_route_behind_a_token_documents_its_401(http) -> None:
    """Found by the API fuzzing: GET /v1/queue, /v1/dossiers/{code}, its audit and its result
    document answered 401 without a token, and their OpenAPI listed no 401."""
    values = {"code": "VTH-250101-0001", "form": "phieu-tiep-nhan", "department": "tp"}
    secured = [(path, method) for path, methods in openapi_document("processing")["paths"].items()
               for method, operation in methods.items() if operation.get("security")]
    assert {("/v1/queue", "get"), ("/v1/dossiers/{code}/audit/verify", "get")} <= set(secured)
    for path, method in secured:
        refused = await http.request(method, path.format(**values), json={})
        assert refused.status_code == 401, (path, refused.text)
        assert_documented("processing", method, path, refused)


@pytest.mark.parametrize("action", [a.value for a in Action])
async def test_the_full_permission_matrix(http, deps, action: str) -> None:
    situation = SITUATIONS[SETUP[action]]
    allowed = expected_roles(action, situation)
    for role, department in itertools.product(Role, (OWN, OTHER)):
        code = await dossier_in(http, deps, SETUP[action])
        before = (await http.get(f"/v1/dossiers/{code}", headers=bearer(OWN, "approver"))).json()
        done = await act(http, code, department, role, {"action": action, **BODIES[action]})
        after = (await http.get(f"/v1/dossiers/{code}", headers=bearer(OWN, "approver"))).json()
        where = f"{role.value} of {department} doing {action}"
        if department == OTHER:
            assert done.status_code == 404, where  # not theirs: not there for them
        elif role in allowed:
            assert done.status_code == 200, f"{where}: {done.text}"
            continue
        else:
            assert done.status_code == 409, where
            body = done.json()
            assert body["status"] == situation.status.value
            assert action not in body["allowed_actions"]
            assert set(body["allowed_actions"]) == {
                a.value for a in Action if role in expected_roles(a.value, situation)}
        assert after == before, f"{where} changed the dossier"


async def test_invalid_content_is_a_422_that_says_why_and_changes_nothing(http, deps) -> None:
    code = await dossier_in(http, deps, "in_progress")
    cases = [
        ("specialist", {"action": "request_supplement", "reason": "Thiếu"}, "missing"),
        ("specialist", {"action": "request_supplement", "missing": ["Tờ khai"],
                        "reason": "Thiếu", "deadline": "2025-03-01"}, "after today"),
        ("approver", {"action": "transfer", "to_department": "xyz"}, "unknown department"),
        ("approver", {"action": "issue_apology", "reason": "Chậm",
                      "new_due_date": "2025-03-22"}, "not a working day"),
        ("approver", {"action": "stop"}, "reason"),
        ("approver", {"action": "fly"}, "action"),
    ]
    for role, body, says in cases:
        refused = await act(http, code, OWN, role, body)
        assert refused.status_code == 422, (body, refused.text)
        assert says in refused.text
    view = (await http.get(f"/v1/dossiers/{code}", headers=bearer(OWN, "specialist"))).json()
    assert view["status"] == "in_progress" and view["version"] == 2


async def test_two_officers_acting_at_once_one_wins_the_other_gets_409(http, deps) -> None:
    code = await dossier_in(http, deps, "awaiting_approval")
    seen = (await http.get(f"/v1/dossiers/{code}", headers=bearer(OWN, "approver"))).json()
    bodies = [{"action": "approve", **BODIES["approve"], "version": seen["version"]},
              {"action": "refuse", **BODIES["refuse"], "version": seen["version"]}] * 4
    answers = await asyncio.gather(*(act(http, code, OWN, "approver", b) for b in bodies))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    loser = next(a for a in answers if a.status_code == 409).json()
    assert loser["status"] == "result_returned" or loser["status"] == "decided"
    trail = (await http.get(f"/v1/dossiers/{code}/audit", headers=bearer(OWN, "approver"))).json()
    assert sum(e["action"] in ("approve", "refuse") for e in trail) == 1
    # Acting on a version one has not seen is refused even when the action is allowed.
    other = await dossier_in(http, deps, "accepted")
    stale = await act(http, other, OWN, "approver", {"action": "stop", "reason": "Dừng",
                                                     "version": 99})
    assert stale.status_code == 409 and stale.json()["version"] == 1


async def test_the_audit_trail_names_who_did_what_and_cannot_be_changed(http, deps, pool) -> None:
    code = await dossier_in(http, deps, "in_progress")
    apology = await act(http, code, OWN, "approver", {"action": "issue_apology",
                                                      **BODIES["issue_apology"]})
    assert apology.json()["due_date"] == "2025-03-31"
    assert apology.json()["original_due_date"] == date(2025, 3, 17).isoformat()
    trail = (await http.get(f"/v1/dossiers/{code}/audit", headers=bearer(OWN, "approver"))).json()
    assert [(e["action"], e["actor"], e["actor_role"], e["from_status"], e["to_status"])
            for e in trail] == [
        ("register", "system", None, None, "registered"),
        ("accept", "system", None, "registered", "accepted"),
        ("start", "ktht.specialist", "specialist", "accepted", "in_progress"),
        ("issue_apology", "ktht.approver", "approver", "in_progress", "in_progress")]
    assert trail[-1]["reason"] == "Cần xác minh thêm"
    assert trail[-1]["detail"]["new_due_date"] == "2025-03-31"
    for statement in ("UPDATE case_audit SET reason = 'sửa'", "DELETE FROM case_audit"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pool.execute(statement)
    assert (await http.get(f"/v1/dossiers/{code}/audit", headers=bearer(OTHER, "approver"))
            ).status_code == 404
