"""The working-day calendar: holidays, swaps, cut-off, due dates and pauses (2024–2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reference.workdays import BUSINESS_TZ, SlaClass, WorkingCalendar, classify


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar.default()


def vn(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BUSINESS_TZ)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # 2024: Tết 8–14/2 (Thu–Wed), Hùng Kings Thu 18/4, 29/4 swapped with Sat 4/5, 2/9 + 3/9.
        (date(2024, 1, 1), False),
        (date(2024, 2, 7), True),
        *[(date(2024, 2, d), False) for d in (8, 9, 12, 13, 14)],
        (date(2024, 2, 15), True),
        (date(2024, 4, 18), False),
        (date(2024, 4, 27), False),
        *[(date(2024, 4, 29), False), (date(2024, 4, 30), False), (date(2024, 5, 1), False)],
        (date(2024, 5, 2), True),
        (date(2024, 5, 4), True),  # make-up Saturday
        (date(2024, 9, 2), False),
        (date(2024, 9, 3), False),
        (date(2024, 9, 4), True),
        # 2025: Tết 25/1–2/2, Hùng Kings Mon 7/4, Fri 2/5 off for Sat 26/4, 1/9 + 2/9.
        (date(2025, 1, 24), True),
        (date(2025, 1, 25), False),
        *[(date(2025, 1, d), False) for d in (27, 28, 29, 30, 31)],
        (date(2025, 2, 3), True),
        (date(2025, 4, 7), False),
        (date(2025, 4, 26), True),  # make-up Saturday
        *[(date(2025, 4, 30), False), (date(2025, 5, 1), False), (date(2025, 5, 2), False)],
        (date(2025, 5, 5), True),
        (date(2025, 8, 29), True),
        (date(2025, 9, 1), False),
        (date(2025, 9, 2), False),
        (date(2025, 9, 3), True),
        # Ordinary weekend and weekday.
        (date(2025, 3, 8), False),
        (date(2025, 3, 9), False),
        (date(2025, 3, 10), True),
        # 2026: New Year 1/1–4/1 with Fri 2/1 swapped for Sat 10/1 (12729/VPCP-KGVX).
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), False),
        (date(2026, 1, 5), True),
        (date(2026, 1, 10), True),  # make-up Saturday
        (date(2026, 1, 17), False),
        # 2026: Tết 14–22/2, Hùng Kings Sun 26/4 observed Mon 27/4, 30/4 Thu, 1/5 Fri,
        # 2/9 Wed with 1/9, and the 31/8 <-> Sat 22/8 swap (marked uncertain in the file).
        (date(2026, 2, 13), True),
        *[(date(2026, 2, d), False) for d in (16, 17, 18, 19, 20)],
        (date(2026, 2, 23), True),
        (date(2026, 4, 26), False),
        (date(2026, 4, 27), False),
        (date(2026, 4, 28), True),
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
        (date(2026, 5, 4), True),
        (date(2026, 8, 22), True),  # make-up Saturday
        *[(date(2026, 8, 31), False), (date(2026, 9, 1), False), (date(2026, 9, 2), False)],
        (date(2026, 9, 3), True),
    ],
)
def test_working_days(cal: WorkingCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working


def test_day_names_are_vietnamese(cal: WorkingCalendar) -> None:
    assert cal.day_name(date(2025, 4, 7)) == "Ngày Giỗ Tổ Hùng Vương"
    assert "Hùng Vương" in (cal.day_name(date(2026, 4, 27)) or "")
    assert "Làm việc bù" in (cal.day_name(date(2024, 5, 4)) or "")
    assert cal.day_name(date(2025, 1, 29)) == "Tết Nguyên Đán"
    assert cal.day_name(date(2025, 3, 10)) is None


def test_year_listings(cal: WorkingCalendar) -> None:
    off_2025 = dict(cal.non_working_weekdays(2025))
    assert date(2025, 5, 2) in off_2025
    assert all(d.weekday() < 5 and d.year == 2025 for d in off_2025)
    assert [d for d, _ in cal.makeup_working_days(2024)] == [date(2024, 5, 4)]
    assert [d for d, _ in cal.makeup_working_days(2025)] == [date(2025, 4, 26)]
    assert [d for d, _ in cal.makeup_working_days(2026)] == [date(2026, 1, 10),
                                                              date(2026, 8, 22)]


@pytest.mark.parametrize(
    ("received_at", "days", "cutoff", "counted", "due"),
    [
        # The domain's worked example: Friday 24/1 is day 1, Tết closes 25/1–2/2.
        (vn(2025, 1, 23, 10), 7, time(17), date(2025, 1, 23), date(2025, 2, 10)),
        (vn(2025, 1, 23, 17, 30), 7, time(17), date(2025, 1, 24), date(2025, 2, 11)),
        (vn(2025, 1, 23, 17, 0), 7, time(17), date(2025, 1, 24), date(2025, 2, 11)),
        (vn(2025, 1, 23, 16, 59), 7, time(17), date(2025, 1, 23), date(2025, 2, 10)),
        # The same instants given in UTC; the business date is Vietnam's.
        (datetime(2025, 1, 23, 3, tzinfo=UTC), 7, time(17), date(2025, 1, 23), date(2025, 2, 10)),
        (datetime(2025, 1, 23, 10, 30, tzinfo=UTC), 7, time(17), date(2025, 1, 24), None),
        (datetime(2025, 1, 22, 17, 30, tzinfo=UTC), 7, time(17), date(2025, 1, 23), None),
        # A procedure with a 15:00 cut-off.
        (vn(2025, 3, 6, 15, 30), 2, time(15), date(2025, 3, 7), date(2025, 3, 11)),
        (vn(2025, 3, 6, 15, 30), 2, time(17), date(2025, 3, 6), date(2025, 3, 10)),
        # Received on a weekend or a holiday: counts from the next working day.
        (vn(2025, 3, 8), 1, time(17), date(2025, 3, 10), date(2025, 3, 11)),
        (vn(2025, 4, 7, 9), 3, time(17), date(2025, 4, 8), date(2025, 4, 11)),
        (vn(2024, 2, 12, 9), 1, time(17), date(2024, 2, 15), date(2024, 2, 16)),
        # A make-up Saturday is a normal working day, also as a due date.
        (vn(2025, 4, 26, 9), 2, time(17), date(2025, 4, 26), date(2025, 4, 29)),
        (vn(2024, 4, 26), 3, time(17), date(2024, 4, 26), date(2024, 5, 4)),
        # 30/4–1/5 with the swapped Friday, 2025.
        (vn(2025, 4, 29), 3, time(17), date(2025, 4, 29), date(2025, 5, 7)),
        # 2/9 and its adjacent day.
        (vn(2024, 8, 30), 1, time(17), date(2024, 8, 30), date(2024, 9, 4)),
        (vn(2026, 8, 28), 1, time(17), date(2026, 8, 28), date(2026, 9, 3)),
        (vn(2026, 8, 21), 1, time(17), date(2026, 8, 21), date(2026, 8, 22)),
        # 2026: Tết, Hùng Kings day observed on Monday, 30/4–1/5.
        (vn(2026, 2, 13), 1, time(17), date(2026, 2, 13), date(2026, 2, 23)),
        (vn(2026, 4, 24), 1, time(17), date(2026, 4, 24), date(2026, 4, 28)),
        (vn(2026, 4, 29), 1, time(17), date(2026, 4, 29), date(2026, 5, 4)),
        # Across New Year's Day.
        (vn(2024, 12, 31, 16), 1, time(17), date(2024, 12, 31), date(2025, 1, 2)),
        # New Year 2026 (issue 19): 1/1–4/1 closed, Sat 10/1 worked. Three working days from
        # Wed 31/12/2025: Mon 5/1, Tue 6/1, Wed 7/1 (not Tue 6/1, as without the swap).
        (vn(2025, 12, 31, 10), 3, time(17), date(2025, 12, 31), date(2026, 1, 7)),
        (vn(2026, 1, 9, 10), 1, time(17), date(2026, 1, 9), date(2026, 1, 10)),
    ],
)
def test_counted_from_and_due_date(
    cal: WorkingCalendar,
    received_at: datetime,
    days: int,
    cutoff: time,
    counted: date,
    due: date | None,
) -> None:
    assert cal.counted_from(received_at, cutoff) == counted
    if due is not None:
        assert cal.due_date(received_at, days, cutoff) == due


def test_worked_example_day_one_is_friday(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2025, 1, 23), 1) == date(2025, 1, 24)
    assert cal.add_working_days(date(2025, 1, 23), 2) == date(2025, 2, 3)
    assert cal.working_days_between(date(2025, 1, 23), date(2025, 2, 10)) == 7


def test_edges(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2025, 1, 25), 0) == date(2025, 1, 25)
    assert cal.working_days_between(date(2025, 2, 10), date(2025, 1, 23)) == 0
    assert cal.working_days_between(date(2025, 2, 10), date(2025, 2, 10)) == 0
    with pytest.raises(ValueError):
        cal.add_working_days(date(2025, 1, 1), -1)
    naive = datetime(2025, 1, 23, 10)
    for call in (
        lambda: cal.counted_from(naive),
        lambda: cal.due_date(naive, 7),
        lambda: classify(naive, date(2025, 2, 10)),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_resume_policy_pushes_by_the_paused_working_days(cal: WorkingCalendar) -> None:
    due = date(2025, 2, 10)
    paused = vn(2025, 2, 3, 10)
    assert cal.extend_for_pause(due, paused, vn(2025, 2, 3, 16)) == due
    assert cal.extend_for_pause(due, paused, vn(2025, 2, 5, 15)) == date(2025, 2, 12)
    assert cal.extend_for_pause(due, paused, vn(2025, 2, 5, 17, 30)) == date(2025, 2, 13)
    with pytest.raises(ValueError):
        cal.extend_for_pause(due, vn(2025, 2, 5), paused)


def test_restart_policy_never_shortens(cal: WorkingCalendar) -> None:
    resumed = vn(2025, 2, 5, 10)
    assert cal.restart(resumed, 7) == date(2025, 2, 14)
    assert cal.restart(resumed, 7, not_before=date(2025, 2, 10)) == date(2025, 2, 14)
    assert cal.restart(resumed, 7, not_before=date(2025, 2, 20)) == date(2025, 2, 20)


@pytest.mark.parametrize(
    ("finished_at", "expected"),
    [
        (vn(2025, 2, 7, 15), SlaClass.EARLY),
        (vn(2025, 2, 10, 16), SlaClass.ON_TIME),
        (vn(2025, 2, 10, 23, 30), SlaClass.ON_TIME),
        (datetime(2025, 2, 10, 18, 30, tzinfo=UTC), SlaClass.LATE),  # 01:30 on 11/2 in Vietnam
        (vn(2025, 2, 11, 8), SlaClass.LATE),
    ],
)
def test_classify(finished_at: datetime, expected: SlaClass) -> None:
    assert classify(finished_at, date(2025, 2, 10)) is expected
    assert expected.value in {"early", "on_time", "late"}


SOURCE = "{document: 1/TB-TEST, date: 2025-01-01, issuer: Test, status: confirmed}"


def test_overrides_win_over_the_package() -> None:
    cal = WorkingCalendar.from_yaml(
        f"""
2025:
- source: {SOURCE}
  periods: [other]
  summary: test
  days_off: [{{date: 2025-03-10, name: Nghỉ đột xuất}}]
  working_days: [{{date: 2025-01-01, name: Làm việc}}]
""",
        "test-overrides.yaml",
    )
    assert not cal.is_working_day(date(2025, 3, 10))
    assert cal.day_name(date(2025, 3, 10)) == "Nghỉ đột xuất"
    assert cal.is_working_day(date(2025, 1, 1))
    assert cal.is_working_day(date(2025, 1, 2))


@pytest.mark.parametrize(
    "text",
    [
        f"2025:\n- source: {SOURCE}\n  periods: [other]\n  summary: s\n"
        "  days_off: [{date: 2024-03-10, name: Sai năm}]\n",
        f"2025:\n- source: {SOURCE}\n  periods: [other]\n  summary: s\n"
        "  days_off: [{date: 2025-03-10, name: A}]\n"
        "  working_days: [{date: 2025-03-10, name: B}]\n",
        "2025:\n  days_off: []\n",  # the old format: announcements without a source
        f"2025:\n- source: {SOURCE}\n  summary: no periods\n",
        "2025:\n- source: {document: X, issuer: Y, status: confirmed}\n"
        "  periods: [tet]\n  summary: a confirmed source without its date\n",
        "2025:\n- source: {document: X, date: 2025-01-01, issuer: Y, status: rumoured}\n"
        "  periods: [tet]\n  summary: s\n",
        "- not a mapping\n",
    ],
)
def test_invalid_overrides_name_the_source(text: str) -> None:
    with pytest.raises(ValueError, match=r"bad-overrides\.yaml"):
        WorkingCalendar.from_yaml(text, "bad-overrides.yaml")


def test_default_is_cached() -> None:
    assert WorkingCalendar.default() is WorkingCalendar.default()


# --- Properties ---------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(BUSINESS_TZ)
)
periods = st.integers(min_value=0, max_value=30)
cutoffs = st.sampled_from([time(15), time(17)])
CAL = WorkingCalendar.default()


@settings(max_examples=300, deadline=None)
@given(received_at=instants, days=periods, cutoff=cutoffs)
def test_due_date_is_a_working_day(received_at: datetime, days: int, cutoff: time) -> None:
    due = CAL.due_date(received_at, days, cutoff)
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(CAL.counted_from(received_at, cutoff), due) == days


@settings(max_examples=300, deadline=None)
@given(first=instants, gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
       days=periods, cutoff=cutoffs)  # fmt: skip
def test_due_date_is_monotonic(first: datetime, gap: timedelta, days: int, cutoff: time) -> None:
    assert CAL.due_date(first, days, cutoff) <= CAL.due_date(first + gap, days, cutoff)


@settings(max_examples=300, deadline=None)
@given(received_at=instants, days=periods,
       pause_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
       pause_for=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))  # fmt: skip
def test_a_pause_never_brings_the_due_date_forward(
    received_at: datetime, days: int, pause_after: timedelta, pause_for: timedelta
) -> None:
    due = CAL.due_date(received_at, days)
    paused_from = received_at + pause_after
    resumed_at = paused_from + pause_for
    extended = CAL.extend_for_pause(due, paused_from, resumed_at)
    assert extended >= due
    assert CAL.is_working_day(extended)
    assert CAL.restart(resumed_at, days, not_before=due) >= due
