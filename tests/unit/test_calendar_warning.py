"""The warning before unconfirmed days (issue 19): with the clock in December 2026 it names
Tết 2027, in a log line at start-up and once a day, a metric and ``/readyz``'s notices."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from services.intake.bootstrap import SPEC as INTAKE
from services.intake.settings import IntakeSettings
from services.processing.bootstrap import SPEC as PROCESSING
from services.processing.settings import ProcessingSettings
from shared.reference.calendar import CalendarWatch, calendar_warning, unconfirmed_periods
from shared.reference.workdays import (
    BUSINESS_TZ,
    Announcement,
    Period,
    Source,
    Status,
    WorkingCalendar,
)
from shared.runtime.service import build_app

CAL = WorkingCalendar.default()
DECEMBER = datetime(2026, 12, 2, 9, tzinfo=BUSINESS_TZ)


@dataclass
class Clock:
    now: datetime = DECEMBER

    def __call__(self) -> datetime:
        return self.now


def tet_2027(status: Status) -> Announcement:
    return Announcement(
        source=Source(document="1/TB-BNV", date=date(2026, 12, 10), issuer="Bộ Nội vụ",
                      status=status),
        periods=(Period.TET,), summary="Tết Đinh Mùi: 4/2–10/2/2027, no swap")


def metric(period: str, year: int) -> float | None:
    return REGISTRY.get_sample_value("calendar_unconfirmed_holiday_periods",
                                     {"period": period, "year": str(year)})


def test_in_december_2026_the_warning_names_tet_2027() -> None:
    periods = unconfirmed_periods(date(2026, 12, 2), 90, CAL)
    assert [(p.period, p.year, p.starts) for p in periods] == [
        (Period.TET, 2027, date(2027, 2, 6))]
    warning = calendar_warning(date(2026, 12, 2), calendar=CAL)
    assert warning is not None and warning.startswith("Tết 2027 (06/02/2027) has no confirmed")


def test_the_horizon_is_a_setting() -> None:
    assert unconfirmed_periods(date(2026, 12, 2), 30, CAL) == []
    assert [(p.period, p.year) for p in unconfirmed_periods(date(2026, 12, 2), 200, CAL)] == [
        (Period.TET, 2027), (Period.REUNIFICATION, 2027)]


def test_a_confirmed_announcement_silences_it_a_reported_one_does_not() -> None:
    confirmed = CAL.with_announcement(2027, tet_2027(Status.CONFIRMED))
    assert calendar_warning(date(2026, 12, 2), calendar=confirmed) is None
    reported = CAL.with_announcement(2027, tet_2027(Status.REPORTED))
    warning = calendar_warning(date(2026, 12, 2), calendar=reported)
    assert warning is not None and "recorded only as reported: 1/TB-BNV" in warning


def test_2026s_national_day_is_only_reported_so_august_warns() -> None:
    periods = unconfirmed_periods(date(2026, 8, 1), 90, CAL)
    assert [(p.period, p.year) for p in periods] == [(Period.NATIONAL_DAY, 2026)]


def test_the_watch_logs_at_start_and_once_a_day_and_sets_the_metric() -> None:
    clock = Clock()
    watch = CalendarWatch(CAL, clock, horizon_days=90)
    with capture_logs() as logs:
        watch.check()
        watch.check()  # the same day: the metric refreshed, no second line
        clock.now += timedelta(days=1)
        watch.check()
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert len(warnings) == 2
    assert warnings[0]["periods"] == ["tet 2027"]
    assert "Tết 2027 (06/02/2027)" in warnings[0]["detail"][0]
    assert metric("tet", 2027) == 1
    clock.now = datetime(2027, 2, 8, 9, tzinfo=BUSINESS_TZ)  # Tết is past; 30/4 is ahead
    watch.check()
    assert metric("tet", 2027) is None
    assert metric("reunification", 2027) == 1


async def test_the_background_job_checks_again_on_its_clock() -> None:
    clock = Clock()
    watch = CalendarWatch(CAL, clock, horizon_days=90, interval_s=0.01)
    with capture_logs() as logs:
        job = asyncio.create_task(watch.run())
        try:
            await asyncio.wait_for(watch.next_check(), 5)
            assert watch.logged_for == date(2026, 12, 2)
            clock.now += timedelta(days=1)  # the next business day: logged again
            await asyncio.wait_for(watch.next_check(), 5)
            assert watch.logged_for == date(2026, 12, 3)
        finally:
            job.cancel()
    assert [e["log_level"] for e in logs].count("warning") == 2


@pytest.mark.parametrize("spec,settings", [
    (PROCESSING, ProcessingSettings()), (INTAKE, IntakeSettings(environment="development"))])
async def test_readyz_lists_the_warning_as_a_notice(spec, settings) -> None:
    app = build_app(spec, settings)
    app.state.deps = SimpleNamespace(calendar_watch=CalendarWatch(CAL, Clock()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        body = (await http.get("/readyz")).json()
    # No database in this test, so not ready; the notice is there either way, never a check.
    assert set(body["checks"]) == {"database", "broker"}
    assert len(body["notices"]) == 1 and body["notices"][0].startswith("Tết 2027 (06/02/2027)")
