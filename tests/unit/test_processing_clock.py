"""The SLA clock: a pause of any length, under either policy, never brings a date forward,
and the queue's SLA state follows the status and the committed date."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.processing.domain.clock import resumed_due, sla_state
from shared.contracts.status import DossierStatus as S
from tests.unit.test_processing_case import CAL, terms, vn

moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 11, 30)).map(
    lambda d: vn(d.year, d.month, d.day, d.hour, d.minute))


@settings(max_examples=300, deadline=None)
@given(received=moments, pause_after=st.timedeltas(timedelta(0), timedelta(days=40)),
       pause_for=st.timedeltas(timedelta(0), timedelta(days=40)),
       policy=st.sampled_from(["resume", "restart"]), days=st.integers(1, 20))
def test_a_pause_never_shortens_the_time_left(received: datetime, pause_after: timedelta,
                                              pause_for: timedelta, policy: str,
                                              days: int) -> None:
    due = CAL.due_date(received, days)
    paused_at = received + pause_after
    resumed_at = paused_at + pause_for
    after = resumed_due(CAL, terms(), due=due, days=days, policy=policy, received_at=received,
                        paused_at=paused_at, resumed_at=resumed_at)
    assert after >= due and CAL.is_working_day(after)
    unpaused = CAL.due_date(resumed_at, days) if policy == "restart" else due
    assert after >= unpaused


def test_a_pause_within_one_working_day_before_the_cut_off_costs_nothing() -> None:
    due = CAL.due_date(vn(2025, 3, 3), 7)
    same_day = resumed_due(CAL, terms(), due=due, days=7, policy="resume",
                           received_at=vn(2025, 3, 3), paused_at=vn(2025, 3, 4, 9),
                           resumed_at=vn(2025, 3, 4, 16))
    assert same_day == due
    next_day = resumed_due(CAL, terms(), due=due, days=7, policy="resume",
                           received_at=vn(2025, 3, 3), paused_at=vn(2025, 3, 4, 9),
                           resumed_at=vn(2025, 3, 4, 17, 30))  # after the cut-off
    assert next_day == CAL.add_working_days(due, 1)


def test_the_sla_state_of_a_dossier() -> None:
    today, near = date(2025, 3, 10), date(2025, 3, 11)
    assert sla_state(S.AWAITING_FEE, date(2025, 1, 1), today, near) == "paused"
    assert sla_state(S.IN_PROGRESS, date(2025, 3, 7), today, near) == "overdue"
    assert sla_state(S.IN_PROGRESS, today, today, near) == "at_risk"
    assert sla_state(S.ACCEPTED, near, today, near) == "at_risk"
    assert sla_state(S.ACCEPTED, date(2025, 3, 12), today, near) == "on_track"
    assert sla_state(S.DECIDED, date(2025, 3, 7), today, near) is None
