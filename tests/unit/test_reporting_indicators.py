"""The 766 indicators of ten hand-made dossier histories (tests/integration/reporting/
histories.py), every figure worked out by hand here from the March 2025 calendar."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.reporting.domain import indicators, periods
from services.reporting.domain.facts import DossierFacts, Recorded, fold
from services.reporting.domain.timeline import processing_days, sla
from shared.reference.workdays import WorkingCalendar
from tests.integration.reporting.histories import TODAY, histories

CALENDAR = WorkingCalendar.default()
MARCH = periods.window(date(2025, 3, 1), date(2025, 3, 31))


def folded() -> dict[str, DossierFacts]:
    seq = iter(range(1, 10_000))
    return {letter: fold(h.dossier_id, [Recorded.of(e, next(seq)) for e in h.envelopes()])
            for letter, h in histories().items()}


@pytest.fixture(scope="module")
def facts() -> dict[str, DossierFacts]:
    return folded()


def test_each_dossier_is_classified_against_the_date_in_force(facts) -> None:
    assert {k: sla(f) for k, f in facts.items()} == {
        "A": "on_time",  # decided 16:59 on its due date, Wed 12
        "B": "late",     # due Thu 13, decided Fri 14 at 00:00
        "C": "on_time",  # due moved to Mon 17 by the 2 working days of its pause
        "D": "early",    # restart: due Fri 21, decided Thu 20
        "E": "on_time",  # the apology letter's new date, Tue 18
        "F": None, "G": None, "H": None, "I": None, "J": None}


def test_processing_days_exclude_the_pauses(facts) -> None:
    days = {k: processing_days(facts[k], CALENDAR) for k in "ABCDE"}
    # A 3→12: 7; B counts from Tue 4 → Fri 14: 8; C 4→17: 9 − 2 paused; D 3→20: 13 − 2
    # paused (Thu 6, Fri 7); E 5→18: 9.
    assert days == {"A": 7, "B": 8, "C": 7, "D": 11, "E": 9}


def test_the_march_indicators_by_hand(facts) -> None:
    got = indicators.compute(facts.values(), MARCH, today=TODAY, calendar=CALENDAR)
    assert got == {
        "received": 10, "accepted": 9,  # F refused at intake
        "carried_over": 0, "in_progress": 3,  # H, I, J are open at the end of March
        "resolved": 5, "refused_at_intake": 1, "withdrawn": 1, "stopped": 0,
        "early": 1, "on_time": 3, "late": 1, "on_time_rate": 0.8,
        "avg_processing_days": 8.4, "median_processing_days": 8.0,  # (7+8+7+11+9) / 5
        # committed → statutory due: 5 working days for each of A–E
        "avg_gain_committed_days": 5.0,
        # decision → statutory due: A 12→19: 5, B 14→20: 4, C 17→20: 3, D 20→24: 2,
        # E 18→21: 3 → 17 / 5
        "avg_gain_actual_days": 3.4,
        "apologies": 1,
        "at_risk_now": 1,  # I
        "overdue_now": 1,  # H; J is past its date but its clock is paused
        "files_received_rate": 0.5,  # A B C E I of 10
        "electronic_result_rate": 0.8,  # B's result went on paper
        "online_rate": 0.8,  # H and J at the counter
        "full_process_rate": 0.875, "partial_rate": 0.125,  # I of the 8 online is partial
        "online_payment_rate": 0.5,  # A and B paid of A, B, G, J with a fee
        "postal_return_rate": 0.2,  # B, H
        # (5 − |A unsatisfied ∪ B late|) / 5; C's second rating is not counted
        "satisfaction_rate": 0.6,
        "ratings": {"very_satisfied": 1, "satisfied": 2, "unsatisfied": 1, "unrated": 1},
    }


def test_a_dossier_rated_unsatisfied_and_late_is_spoiled_once(facts) -> None:
    b = facts["B"]
    both = DossierFacts(**{**b.__dict__, "dossier_id": uuid.uuid4(), "rating": "unsatisfied"})
    got = indicators.compute([facts["A"], both], MARCH, today=TODAY, calendar=CALENDAR)
    assert (got["resolved"], got["satisfaction_rate"]) == (2, 0.0)
    only_late = indicators.compute([b], MARCH, today=TODAY, calendar=CALENDAR)
    assert only_late["satisfaction_rate"] == 0.0


def test_april_carries_over_the_open_dossiers(facts) -> None:
    april = periods.window(date(2025, 4, 1), date(2025, 4, 30))
    got = indicators.compute(facts.values(), april, today=TODAY, calendar=CALENDAR)
    assert (got["received"], got["carried_over"], got["in_progress"], got["resolved"],
            got["on_time_rate"], got["satisfaction_rate"]) == (0, 3, 3, 0, None, None)


def test_per_department(facts) -> None:
    got = indicators.breakdown(list(facts.values()), lambda f: f.department, MARCH,
                               today=TODAY, calendar=CALENDAR)
    assert list(got) == ["ktht", "tp"]
    assert (got["ktht"]["resolved"], got["ktht"]["on_time_rate"]) == (1, 1.0)
    assert (got["tp"]["resolved"], got["tp"]["on_time_rate"]) == (4, 0.75)


def test_months_quarters_and_years_split_a_range() -> None:
    whole = periods.window(date(2025, 2, 15), date(2025, 7, 10))
    assert [w.label for w in periods.split(whole, "month")] == [
        "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"]
    quarters = periods.split(whole, "quarter")
    assert [(w.label, w.start, w.end) for w in quarters] == [
        ("2025-Q1", date(2025, 2, 15), date(2025, 3, 31)),
        ("2025-Q2", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-Q3", date(2025, 7, 1), date(2025, 7, 10))]
    assert [w.label for w in periods.split(whole, "year")] == ["2025"]
    with pytest.raises(periods.PeriodError):
        periods.window(date(2025, 3, 2), date(2025, 3, 1))


def test_every_documented_formula_has_its_count_and_no_count_is_undocumented() -> None:
    documented = {entry["counts"] for entry in indicators.formulas()["indicators"]}
    assert documented == set(indicators.COUNTS)
    groups = indicators.formulas()["groups"]
    assert sum(g["points"] for g in groups) == 100
    assert {g["name_vi"]: g["points"] for g in groups} == {
        "Công khai, minh bạch": 18, "Tiến độ, kết quả giải quyết": 20, "Số hóa hồ sơ": 22,
        "Cung cấp dịch vụ trực tuyến": 22, "Mức độ hài lòng": 18}


def test_no_personal_data_is_kept(facts) -> None:
    stored = [Recorded.of(e).payload for h in histories().values() for e in h.envelopes()]
    text = repr(stored)
    assert all(Recorded.of(e).event() is not None
               for h in histories().values() for e in h.envelopes())  # all still validate
    for secret in ("Trần Văn Bình", "092301004567", "0912345678", "binh@example.vn",
                   "12 Đường 3/2", "Nguyễn Văn A"):
        assert secret not in text


def test_the_fold_does_not_depend_on_the_order_events_were_recorded() -> None:
    for h in histories().values():
        envelopes = h.envelopes()
        forwards = [Recorded.of(e, n) for n, e in enumerate(envelopes)]
        backwards = [Recorded.of(e, n) for n, e in enumerate(reversed(envelopes))]
        assert fold(h.dossier_id, backwards) == fold(h.dossier_id, forwards)
