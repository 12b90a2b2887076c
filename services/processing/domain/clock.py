"""The SLA clock of a dossier in working days, without I/O.

The clock starts at receipt, pauses while the office waits for the citizen (a fee, a
supplement) and resumes under the procedure's policy. A pause never brings a due date
forward: the shared calendar's functions only ever move it later.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from services.processing.domain.rules import CLOCK_PAUSED, OPEN
from shared.contracts.status import DossierStatus
from shared.contracts.types import SlaState
from shared.reference.catalog import Procedure
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar

SLA_STATES: tuple[SlaState, ...] = ("on_track", "at_risk", "overdue", "paused")
# The furthest an officer may set a date: a supplement deadline from today, an apology's new
# committed date from the statutory one. Beyond, a date is a typo or an attack, and dates near
# the calendar's end (year 9999) cannot be counted on.
LONGEST_WAIT = timedelta(days=365)


class Terms(BaseModel):
    """The procedure's rules as they were when the dossier was received; never re-read."""

    model_config = ConfigDict(frozen=True)
    committed_days: int
    statutory_days: int
    cutoff: time = time(17)
    supplement_policy: Literal["resume", "restart"] = "resume"
    supplement_deadline_days: int = 15
    fee_payment_days: int = 5  # the catalog's default, for terms stored before it existed
    auto_accept: bool = True
    separate_approval: bool = True

    @classmethod
    def of(cls, procedure: Procedure) -> Terms:
        return cls(
            committed_days=procedure.committed_days,
            statutory_days=procedure.statutory_days,
            cutoff=procedure.cutoff,
            supplement_policy=procedure.supplement_policy,
            supplement_deadline_days=procedure.supplement_deadline_days,
            fee_payment_days=procedure.fee_payment_days,
            auto_accept=procedure.auto_accept,
            separate_approval=procedure.separate_approval,
        )


def business_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def later(day: date, by: timedelta) -> date:
    """``day + by``, or the calendar's last day where that is past it (never an error)."""
    return day + by if day <= date.max - by else date.max


def at_risk_until(calendar: WorkingCalendar, today: date, working_days: int) -> date:
    """A due date on or before this is near: today plus ``working_days`` working days."""
    return calendar.add_working_days(today, working_days)


def sla_state(status: DossierStatus, due: date, today: date, near: date) -> SlaState | None:
    """The queue's SLA state of an open dossier; None once it is decided or closed."""
    if status in CLOCK_PAUSED:
        return "paused"
    if status not in OPEN:
        return None
    if due < today:
        return "overdue"
    return "at_risk" if due <= near else "on_track"


def resumed_due(
    calendar: WorkingCalendar, terms: Terms, *, due: date, days: int, policy: str,
    received_at: datetime, paused_at: datetime, resumed_at: datetime,
) -> date:
    """The due date after a pause, ``days`` being the period this date counts (the rule is
    the calendar's, shared with reporting's what-if)."""
    return calendar.resumed_due(due=due, days=days, policy=policy, cutoff=terms.cutoff,
                                received_at=received_at, paused_at=paused_at,
                                resumed_at=resumed_at)


def recounted(previous: WorkingCalendar, calendar: WorkingCalendar, promised: date,
              start_before: date, start_now: date) -> date:
    """``promised`` (counted under ``previous`` from ``start_before``) counted again under
    ``calendar`` from ``start_now``: the same number of working days, so the time a pause
    added and an apology's extra days are kept; never earlier than promised.

    The days a past pause lost are kept as counted then: a day off announced inside a past
    pause makes the date one day later than an exact replay would (in the citizen's favour).
    A running pause is counted at resumption, under the calendar in force then."""
    days = previous.working_days_between(start_before, promised)
    try:
        return max(promised, calendar.add_working_days(start_now, days))
    except OverflowError:  # a date at the calendar's end cannot move later
        return promised
