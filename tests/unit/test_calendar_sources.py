"""Announcements as data with their sources (issue 19): the New Year 2026 swap, deviations
with their documents, versions that name the days, and ``GET /v1/calendar/{year}``."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import httpx

from services.intake.bootstrap import SPEC as INTAKE
from services.intake.settings import IntakeSettings
from shared.reference.calendar import CalendarWatch
from shared.reference.workdays import (
    BUSINESS_TZ,
    Announcement,
    Period,
    Source,
    Status,
    WorkingCalendar,
    changed_days,
    describe_changes,
)
from shared.runtime.service import build_app

CAL = WorkingCalendar.default()
DISPATCH = "12729/VPCP-KGVX"


def test_a_three_day_procedure_received_on_new_years_eve_is_due_on_wednesday_7_1() -> None:
    received = datetime(2025, 12, 31, 10, tzinfo=BUSINESS_TZ)
    assert CAL.due_date(received, 3) == date(2026, 1, 7)
    without = WorkingCalendar(announcements={
        y: tuple(a for a in v if a.source.document != DISPATCH)
        for y, v in CAL.announcements.items()})
    assert without.due_date(received, 3) == date(2026, 1, 6)  # what the calendar said before


def test_the_swap_is_recorded_with_its_source() -> None:
    deviations = {d.date: d for d in CAL.deviations(2026)}
    off, worked = deviations[date(2026, 1, 2)], deviations[date(2026, 1, 10)]
    assert (off.working, worked.working) == (False, True)
    for day in (off, worked):
        assert day.source is not None
        assert day.source.document == DISPATCH
        assert day.source.date == date(2025, 12, 25)
        assert day.source.issuer == "Văn phòng Chính phủ"
        assert day.source.status is Status.REPORTED  # the text itself was not reached
    # A package holiday names the Labour Code; every deviation names something.
    assert "Bộ luật Lao động" in deviations[date(2026, 1, 1)].source.document  # type: ignore[union-attr]
    assert all(d.source is not None for y in (2024, 2025, 2026) for d in CAL.deviations(y))


def test_every_year_announcement_names_its_source_and_period() -> None:
    for year in (2024, 2025, 2026):
        assert CAL.announcements[year]
        for a in CAL.announcements[year]:
            assert a.source.document and a.source.issuer and a.periods and a.summary


def test_the_version_names_the_days_not_the_wording() -> None:
    relabelled = WorkingCalendar(announcements={
        y: tuple(a.model_copy(update={"summary": "reworded"}) for a in v)
        for y, v in CAL.announcements.items()})
    assert relabelled.version == CAL.version
    day_off = Announcement(
        source=Source(document="9/TB-TEST", date=date(2026, 11, 1), issuer="Test",
                      status=Status.CONFIRMED),
        periods=(Period.OTHER,), summary="one more day off",
        days_off=({"date": date(2026, 12, 7), "name": "Nghỉ"},))  # type: ignore[arg-type]
    assert CAL.with_announcement(2026, day_off).version != CAL.version


def test_a_snapshot_gives_back_the_same_days() -> None:
    again = WorkingCalendar.from_snapshot(CAL.snapshot())
    assert again.version == CAL.version
    for year in (2024, 2025, 2026):
        assert again.non_working_weekdays(year) == CAL.non_working_weekdays(year)
        assert again.makeup_working_days(year) == CAL.makeup_working_days(year)


def test_the_reason_of_a_move_names_the_announcement() -> None:
    before = WorkingCalendar(announcements={
        y: tuple(a for a in v if a.source.document != DISPATCH)
        for y, v in CAL.announcements.items()})
    changed = changed_days(before, CAL, date(2025, 12, 31), date(2026, 1, 31))
    assert [(d.date, d.working) for d in changed] == [(date(2026, 1, 2), False),
                                                      (date(2026, 1, 10), True)]
    reason = describe_changes(before, CAL, date(2025, 12, 31), date(2026, 1, 31))
    assert reason == ("12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ: "
                      "02/01/2026 nghỉ, 10/01/2026 làm việc")


async def test_get_calendar_2026_shows_the_swap_with_its_source() -> None:
    app = build_app(INTAKE, IntakeSettings(environment="development"))
    now = datetime(2026, 12, 2, 9, tzinfo=BUSINESS_TZ)
    app.state.deps = SimpleNamespace(calendar=CAL, calendar_watch=CalendarWatch(CAL, lambda: now),
                                     max_json_body_bytes=1024)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as http:
        answer = await http.get("/v1/calendar/2026")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    days = {d["date"]: d for d in body["deviations"]}
    assert days["2026-01-02"]["working"] is False
    assert days["2026-01-10"]["working"] is True
    for day in ("2026-01-02", "2026-01-10"):
        assert days[day]["source"]["document"] == DISPATCH
        assert days[day]["source"]["date"] == "2025-12-25"
        assert days[day]["source"]["status"] == "reported"
    assert "2026-01-02" in {d["date"] for d in body["non_working_weekdays"]}
    assert "2026-01-10" in {d["date"] for d in body["makeup_working_days"]}
    assert body["calendar_version"] == CAL.version
    assert any(a["source"]["document"] == DISPATCH for a in body["announcements"])
    assert len(body["warnings"]) == 1 and "Tết 2027 (06/02/2027)" in body["warnings"][0]
