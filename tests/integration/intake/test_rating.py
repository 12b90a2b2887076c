"""The citizen rates a dossier once, after its result was returned: ``DossierRated`` leaves
through intake's outbox; a second rating is refused (409), through the portal or the page."""

from __future__ import annotations

import pytest

from shared.contracts.events import DossierResultReturned
from tests.integration.intake.support import Intake, registered, told

pytestmark = pytest.mark.integration


async def _returned(intake: Intake) -> tuple[str, str]:
    code, dossier_id = await registered(intake)
    await told(intake, dossier_id, DossierResultReturned(
        dossier_code=code, method="online", outcome="approved"), "processing")
    secret = await intake.pool.fetchval("SELECT citizen_secret FROM dossier WHERE code = $1",
                                        code)
    return code, secret


async def test_a_rating_is_taken_once_the_result_is_returned_and_only_once(
        intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    early = await intake.send("POST", f"/v1/dossiers/{code}/rating", {"rating": "satisfied"})
    assert early.status_code == 409 and early.json()["status"] == "registered"
    await told(intake, dossier_id, DossierResultReturned(
        dossier_code=code, method="online", outcome="approved"), "processing")

    invalid = await intake.send("POST", f"/v1/dossiers/{code}/rating", {"rating": "great"})
    assert invalid.status_code == 422
    other = await intake.send("POST", f"/v1/dossiers/{code}/rating", {"rating": "satisfied"},
                              portal="portal-b")
    assert other.status_code == 404

    rated = await intake.send("POST", f"/v1/dossiers/{code}/rating",
                              {"rating": "very_satisfied", "comment": "Cán bộ nhiệt tình"})
    assert rated.status_code == 201, rated.text
    assert rated.json()["rating_label"] == "Rất hài lòng"
    again = await intake.send("POST", f"/v1/dossiers/{code}/rating", {"rating": "unsatisfied"})
    assert again.status_code == 409 and "once" in again.json()["detail"]

    events = await intake.events("DossierRated", code)
    assert len(events) == 1
    assert events[0]["payload"]["rating"] == "very_satisfied"
    assert events[0]["payload"]["comment"] == "Cán bộ nhiệt tình"
    assert events[0]["dossier_id"] == str(dossier_id)
    view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    assert view["timeline"][-1]["event_type"] == "DossierRated"


async def test_the_citizen_page_rates_with_the_receipts_secret_once(intake: Intake) -> None:
    code, secret = await _returned(intake)
    wrong = await intake.http.post("/citizen/rating", data={
        "code": code, "secret": "0000000000", "rating": "satisfied"})
    assert wrong.status_code == 403 and "Mã hồ sơ hoặc mã xác thực không đúng" in wrong.text
    assert await intake.events("DossierRated", code) == []

    rated = await intake.http.post("/citizen/rating", data={
        "code": code, "secret": secret.lower(), "rating": "unsatisfied",
        "comment": "Chờ lâu"})
    assert rated.status_code == 200 and "Không hài lòng" in rated.text
    twice = await intake.http.post("/citizen/rating", data={
        "code": code, "secret": secret, "rating": "satisfied"})
    assert twice.status_code == 409 and "chỉ được đánh giá một lần" in twice.text
    through_portal = await intake.send("POST", f"/v1/dossiers/{code}/rating",
                                       {"rating": "satisfied"})
    assert through_portal.status_code == 409
    events = await intake.events("DossierRated", code)
    assert [e["payload"]["rating"] for e in events] == ["unsatisfied"]
