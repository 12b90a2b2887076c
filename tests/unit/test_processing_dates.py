"""Dates an officer gives are bounded, and the answer names the field and the bounds; a date
set before they were (up to the calendar's last day) never breaks the clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.processing.domain.clock import LONGEST_WAIT, later, resumed_due
from services.processing.domain.errors import DateOutOfBounds
from shared.contracts.status import DossierStatus as S
from tests.unit.test_processing_case import (
    APPROVER,
    CAL,
    SPECIALIST,
    in_progress,
    new_case,
    terms,
    vn,
)

TODAY = vn(2025, 2, 3)  # the cases below are received on 23/1/2025, due 10/2, statutory 17/2


def test_an_apology_date_is_at_most_a_year_after_the_statutory_due_date() -> None:
    case = in_progress()
    latest = case.statutory_due_date + LONGEST_WAIT  # type: ignore[operator]
    assert latest == date(2026, 2, 17)
    for far in (latest + timedelta(days=1), date(9999, 12, 30), date.max):
        with pytest.raises(DateOutOfBounds) as refused:
            case.issue_apology(APPROVER, TODAY, CAL, reason="Chậm", new_due_date=far)
        assert refused.value.fields == {"field": "new_due_date", "earliest": "2025-02-11",
                                        "latest": "2026-02-17"}
        assert "new_due_date" in str(refused.value) and "2026-02-17" in str(refused.value)
    with pytest.raises(DateOutOfBounds, match="not before today"):
        case.issue_apology(APPROVER, TODAY, CAL, reason="Chậm", new_due_date=date(2025, 2, 7))
    last_working_day = next(latest - timedelta(days=n) for n in range(30)
                            if CAL.is_working_day(latest - timedelta(days=n)))  # after Tết
    case.issue_apology(APPROVER, TODAY, CAL, reason="Chậm", new_due_date=last_working_day)
    assert case.due_date == last_working_day


def test_a_supplement_deadline_is_after_today_and_at_most_a_year_after_it() -> None:
    for deadline in (date(2025, 2, 3), date(2026, 2, 4), date(9999, 12, 31)):
        with pytest.raises(DateOutOfBounds, match="deadline") as refused:
            in_progress().request_supplement(SPECIALIST, TODAY, CAL, missing=["Tờ khai"],
                                             reason="Thiếu", deadline=deadline)
        assert refused.value.fields["latest"] == "2026-02-03"
    case = in_progress()
    case.request_supplement(SPECIALIST, TODAY, CAL, missing=["Tờ khai"], reason="Thiếu",
                            deadline=date(2026, 2, 3))
    assert case.supplement_deadline == date(2026, 2, 3)


@pytest.mark.parametrize("far", [date(9999, 12, 30), date.max])
def test_a_dossier_with_a_date_at_the_calendars_end_still_resumes_and_answers(far) -> None:
    case = new_case(fee=50_000)
    case.due_date = case.statutory_due_date = far  # as an unbounded apology left it
    case.record_payment(vn(2025, 2, 3), CAL)
    assert (case.status, case.due_date, case.statutory_due_date) == (S.ACCEPTED, far, far)
    with pytest.raises(DateOutOfBounds):  # a refusal, not an overflow
        case.issue_apology(APPROVER, TODAY, CAL, reason="Chậm", new_due_date=date(9999, 12, 30))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(due=st.dates(min_value=date(9999, 1, 1)), policy=st.sampled_from(["resume", "restart"]),
       days=st.integers(0, 60))
def test_no_pause_overflows_the_calendar(due: date, policy: str, days: int) -> None:
    received = vn(2025, 1, 23)
    after = resumed_due(CAL, terms(), due=due, days=7, policy=policy, received_at=received,
                        paused_at=received, resumed_at=received + timedelta(days=days))
    assert after >= due


def test_later_stops_at_the_calendars_last_day() -> None:
    assert later(date(2025, 1, 1), LONGEST_WAIT) == date(2026, 1, 1)
    assert later(date(9999, 6, 1), LONGEST_WAIT) == date.max
