"""The catalog, due dates and calendar that portals read before submitting (issue 3, item 7)."""

from __future__ import annotations

import pytest

from tests.integration.intake.support import Intake
from tests.support import assert_documented

pytestmark = pytest.mark.integration


async def test_a_procedure_comes_with_everything_its_catalog_entry_says(intake: Intake) -> None:
    answer = await intake.http.get("/v1/procedures/2.002189")
    assert answer.status_code == 200
    procedure = answer.json()
    entry = intake.deps.catalog.active().procedure("2.002189")
    assert entry is not None
    for field, value in entry.model_dump(mode="json").items():
        assert procedure[field] == value, field
    assert (procedure["statutory_days"], procedure["committed_days"]) == (12, 7)
    assert procedure["channels"] == ["online"] and procedure["cutoff"] == "17:00:00"
    assert procedure["department_name"] == "Phòng Tư pháp"
    assert procedure["catalog_version"] == intake.deps.catalog.active().id

    listed = (await intake.http.get("/v1/procedures")).json()
    assert len(listed) == 24 and procedure in listed
    missing = await intake.http.get("/v1/procedures/9.999999")
    assert missing.status_code == 404 and "9.999999" in missing.json()["detail"]


async def test_the_cutoff_is_published_as_the_local_time_it_is(intake: Intake) -> None:
    """Found by the API fuzzing: every procedure answers "cutoff": "17:00:00", where the
    OpenAPI promised JSON Schema's "time" format, which requires a UTC offset."""
    for path, answer in [("/v1/procedures/{code}",
                          await intake.http.get("/v1/procedures/2.002189")),
                         ("/v1/procedures", await intake.http.get("/v1/procedures"))]:
        assert answer.status_code == 200
        assert_documented("intake", "GET", path, answer)


@pytest.mark.parametrize(("received_at", "expected"), [
    # DOMAIN.md's example: Thursday 23/1/2025 10:00, 7 days → Tết closes 25/1–2/2 → 10/2.
    ("2025-01-23T10:00:00+07:00", ("2025-01-23", "2025-02-10", "2025-02-17")),
    # After the 17:00 cut-off it counts on Friday 24/1.
    ("2025-01-23T17:30:00+07:00", ("2025-01-24", "2025-02-11", "2025-02-18")),
    # The same instant written in UTC, with "Z".
    ("2025-01-23T03:00:00Z", ("2025-01-23", "2025-02-10", "2025-02-17")),
    # An unencoded "+" arrives as a space: read as meant.
    ("2025-01-23T10:00:00 07:00", ("2025-01-23", "2025-02-10", "2025-02-17")),
])
async def test_the_due_date_a_portal_can_show_before_submitting(
    intake: Intake, received_at: str, expected: tuple[str, str, str],
) -> None:
    answer = await intake.http.get("/v1/due-date", params={
        "procedure_code": "2.002189", "received_at": received_at})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["counted_from"], body["due_date"], body["statutory_due_date"]) == expected


@pytest.mark.parametrize(("params", "status", "reason"), [
    ({"procedure_code": "2.002189", "received_at": "2025-01-23T10:00:00"}, 422,
     "needs a UTC offset"),
    ({"procedure_code": "2.002189", "received_at": "23/01/2025 10:00"}, 422,
     "not an ISO 8601 date-time"),
    ({"procedure_code": "9.999999", "received_at": "2025-01-23T10:00:00+07:00"}, 404,
     "no procedure '9.999999'"),
])
async def test_due_date_errors_say_what_is_wrong(intake: Intake, params: dict, status: int,
                                                 reason: str) -> None:
    answer = await intake.http.get("/v1/due-date", params=params)
    assert answer.status_code == status
    assert reason in str(answer.json()["detail"])


async def test_the_calendar_lists_days_off_on_weekdays_and_make_up_saturdays(
    intake: Intake,
) -> None:
    answer = await intake.http.get("/v1/calendar/2025")
    assert answer.status_code == 200
    calendar = answer.json()
    off = {d["date"]: d["name"] for d in calendar["non_working_weekdays"]}
    worked = {d["date"]: d["name"] for d in calendar["makeup_working_days"]}
    assert {"2025-01-27", "2025-01-31", "2025-04-07", "2025-04-30", "2025-05-01",
            "2025-05-02", "2025-09-01", "2025-09-02"} <= set(off)
    assert "2025-04-26" in worked  # the Saturday worked for Friday 2/5
    assert all(name for name in [*off.values(), *worked.values()])
    assert (await intake.http.get("/v1/calendar/1800")).status_code == 422
