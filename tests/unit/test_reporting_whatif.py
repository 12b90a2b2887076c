"""What-if on known cases: the recorded timelines of tests/integration/reporting/histories.py
re-run under proposed committed times, worked out by hand on the March 2025 calendar."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.domain import periods
from services.reporting.domain.whatif import WhatIfError, what_if
from shared.reference.workdays import WorkingCalendar
from tests.unit.test_reporting_indicators import folded

CALENDAR = WorkingCalendar.default()
MARCH = periods.window(date(2025, 3, 1), date(2025, 3, 31))


@pytest.fixture(scope="module")
def facts():
    return folded()


def test_a_dossier_decided_on_its_8th_working_day_is_late_under_7_days(facts) -> None:
    report = what_if(facts.values(), "2.002189", MARCH, CALENDAR, days=7)
    a, b = facts["A"], facts["B"]
    assert report.late_now == [b.code]
    # B late under 7 as it is now; A, decided on its 7th, is not; E is late without the
    # apology letter that moved its date (see the next test).
    assert report.late_proposed == [b.code, facts["E"].code]
    assert a.code not in report.late_proposed
    row = next(r for r in report.rows if r.code == b.code)
    assert (row.due_proposed, row.decided_on) == (date(2025, 3, 13), date(2025, 3, 14))


def test_eight_days_clear_b_but_not_e_whose_apology_is_not_replayed(facts) -> None:
    report = what_if(facts.values(), "2.002189", MARCH, CALENDAR, days=8)
    # A due 13, B due 14 (decided 14), C due 14 + 2 paused = 18 (decided 17): on time;
    # E due Mon 17 under 8 days, decided Tue 18: late (its apology letter answered the
    # delay under the terms in force, which a proposal does not have).
    assert report.late_proposed == [facts["E"].code]
    assert report.newly_late == [facts["E"].code]


def test_five_days_make_every_decided_dossier_of_the_procedure_late(facts) -> None:
    report = what_if(facts.values(), "2.002189", MARCH, CALENDAR, days=5)
    assert [r.code for r in report.rows] == [facts[k].code for k in "ABCE"]  # by receipt
    due = {r.code: r.due_proposed for r in report.rows}
    # A 3+5 = Mon 10; B Tue 4 + 5 = Tue 11; C Tue 4 + 5 = Tue 11, + 2 paused = Thu 13;
    # E Wed 5 + 5 = Wed 12
    assert [due[facts[k].code] for k in "ABCE"] == [
        date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 13), date(2025, 3, 12)]
    assert report.late_proposed == [facts[k].code for k in "ABCE"]
    assert report.committed_days_now == [7]


def test_a_restart_pause_restarts_the_proposed_period(facts) -> None:
    # D (1.009995, restart): 5 days from Fri 7 14:00 is Fri 14; decided Thu 20: late.
    report = what_if(facts.values(), "1.009995", MARCH, CALENDAR, days=5)
    assert [(r.due_proposed, r.late_proposed) for r in report.rows] == [
        (date(2025, 3, 14), True)]
    # Under catalog version 2024.1 (12 days, restart): Fri 7 + 12 = Tue 25: early.
    older = what_if(facts.values(), "1.009995", MARCH, CALENDAR,
                    catalog_version="vinh-thanh-2024.1")
    assert (older.proposed_days, older.rows[0].due_proposed, older.late_proposed) == (
        12, date(2025, 3, 25), [])


def test_a_question_needs_days_or_a_version_not_both(facts) -> None:
    with pytest.raises(WhatIfError):
        what_if(facts.values(), "2.002189", MARCH, CALENDAR)
    with pytest.raises(WhatIfError):
        what_if(facts.values(), "2.002189", MARCH, CALENDAR, days=5,
                catalog_version="vinh-thanh-2024.1")
    with pytest.raises(WhatIfError, match="no version 'vinh-thanh-2099'"):
        what_if(facts.values(), "2.002189", MARCH, CALENDAR, catalog_version="vinh-thanh-2099")
    with pytest.raises(WhatIfError, match=r"has no procedure '9\.999999'"):
        what_if(facts.values(), "9.999999", MARCH, CALENDAR, catalog_version="vinh-thanh-2024.1")
