"""The indicators of a set of dossiers over a period: one function per entry of
``indicators_766.yaml`` (its ``counts``), each reading the dossiers the period selects.

Rates are fractions in [0, 1] rounded to four places, or None when their denominator is 0;
averages are working days rounded to two places.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib.resources import files
from typing import Any

import yaml

from services.reporting.domain.facts import DossierFacts
from services.reporting.domain.periods import Window
from services.reporting.domain.timeline import (
    business_date,
    procedure_of,
    processing_days,
    signed_working_days,
    sla,
    terms_of,
)
from shared.reference.workdays import WorkingCalendar


@cache
def formulas() -> dict[str, Any]:
    """The documented formulas (indicators_766.yaml), loaded once."""
    text = (files("services.reporting.domain") / "indicators_766.yaml").read_text("utf-8")
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


@dataclass
class Selection:
    """The dossiers of one period, each list chosen once."""

    dossiers: list[DossierFacts]
    window: Window
    today: date
    calendar: WorkingCalendar

    def _ended_in(self, how: str) -> list[DossierFacts]:
        return [f for f in self.dossiers
                if f.end == how and f.ended_at and business_date(f.ended_at) in self.window]

    @cached_property
    def received(self) -> list[DossierFacts]:
        return [f for f in self.dossiers
                if f.received_at and business_date(f.received_at) in self.window]

    @cached_property
    def resolved(self) -> list[DossierFacts]:
        return self._ended_in("decided")

    @cached_property
    def online(self) -> list[DossierFacts]:
        return [f for f in self.received if f.channel == "online"]

    @cached_property
    def sla(self) -> dict[str, int]:
        counts = {"early": 0, "on_time": 0, "late": 0}
        for f in self.resolved:
            result = sla(f)
            if result in counts:
                counts[result] += 1
        return counts

    @cached_property
    def days(self) -> list[int]:
        out = []
        for f in self.resolved:
            n = processing_days(f, self.calendar, terms_of(f).cutoff)
            if n is not None:
                out.append(n)
        return out

    @cached_property
    def open_now(self) -> list[DossierFacts]:
        """Dossiers not ended, their clock running: a snapshot of today, whatever the period."""
        return [f for f in self.dossiers
                if f.end is None and f.accepted and not f.paused and f.due is not None]


def received(s: Selection) -> int:
    return len(s.received)


def accepted(s: Selection) -> int:
    return sum(f.accepted for f in s.received)


def carried_over(s: Selection) -> int:
    start = s.window.start
    return sum(1 for f in s.dossiers
               if f.received_at and business_date(f.received_at) < start
               and (f.ended_at is None or business_date(f.ended_at) >= start))


def in_progress(s: Selection) -> int:
    end = s.window.end
    return sum(1 for f in s.dossiers
               if f.received_at and business_date(f.received_at) <= end
               and (f.ended_at is None or business_date(f.ended_at) > end))


def resolved(s: Selection) -> int:
    return len(s.resolved)


def refused_at_intake(s: Selection) -> int:
    return len(s._ended_in("refused_at_intake"))


def withdrawn(s: Selection) -> int:
    return len(s._ended_in("withdrawn"))


def stopped(s: Selection) -> int:
    return len(s._ended_in("stopped"))


def early(s: Selection) -> int:
    return s.sla["early"]


def on_time(s: Selection) -> int:
    return s.sla["on_time"]


def late(s: Selection) -> int:
    return s.sla["late"]


def on_time_rate(s: Selection) -> float | None:
    return _rate(s.sla["early"] + s.sla["on_time"], len(s.resolved))


def avg_processing_days(s: Selection) -> float | None:
    return _mean(s.days)


def median_processing_days(s: Selection) -> float | None:
    return float(statistics.median(s.days)) if s.days else None


def avg_gain_committed_days(s: Selection) -> float | None:
    return _mean([signed_working_days(s.calendar, f.first_due, f.statutory_due)
                  for f in s.received if f.first_due and f.statutory_due])


def avg_gain_actual_days(s: Selection) -> float | None:
    return _mean([signed_working_days(s.calendar, business_date(f.decided_at), f.statutory_due)
                  for f in s.resolved if f.decided_at and f.statutory_due])


def apologies(s: Selection) -> int:
    return sum(1 for f in s.dossiers for day in f.apologies if day in s.window)


def overdue_now(s: Selection) -> int:
    return sum(1 for f in s.open_now if f.due and f.due < s.today)


def at_risk_now(s: Selection) -> int:
    return sum(1 for f in s.open_now
               if f.due and f.due >= s.today and f.at_risk_due == f.due)


def files_received_rate(s: Selection) -> float | None:
    return _rate(sum(f.documents > 0 for f in s.received), len(s.received))


def electronic_result_rate(s: Selection) -> float | None:
    return _rate(sum(f.result_electronic for f in s.resolved), len(s.resolved))


def online_rate(s: Selection) -> float | None:
    return _rate(len(s.online), len(s.received))


def _level(f: DossierFacts) -> str | None:
    procedure = procedure_of(f)
    return procedure.online_level if procedure else None


def full_process_rate(s: Selection) -> float | None:
    return _rate(sum(_level(f) == "full" for f in s.online), len(s.online))


def partial_rate(s: Selection) -> float | None:
    return _rate(sum(_level(f) == "partial" for f in s.online), len(s.online))


def online_payment_rate(s: Selection) -> float | None:
    with_fee = [f for f in s.received if f.fee > 0]
    return _rate(sum(f.paid_online for f in with_fee), len(with_fee))


def postal_return_rate(s: Selection) -> float | None:
    return _rate(sum(f.return_method == "postal" for f in s.received), len(s.received))


def complained(f: DossierFacts) -> bool:
    """No event tells a complaint (phản ánh, kiến nghị) yet: see indicators_766.yaml."""
    return False


def satisfaction_rate(s: Selection) -> float | None:
    spoiled = sum(1 for f in s.resolved
                  if f.rating == "unsatisfied" or complained(f) or sla(f) == "late")
    return _rate(len(s.resolved) - spoiled, len(s.resolved))


def ratings(s: Selection) -> dict[str, int]:
    counts = {"very_satisfied": 0, "satisfied": 0, "unsatisfied": 0, "unrated": 0}
    for f in s.resolved:
        counts[f.rating or "unrated"] += 1
    return counts


COUNTS: dict[str, Callable[[Selection], Any]] = {
    f.__name__: f for f in (
        received, accepted, carried_over, in_progress, resolved, refused_at_intake, withdrawn,
        stopped, early, on_time, late, on_time_rate, avg_processing_days, median_processing_days,
        avg_gain_committed_days, avg_gain_actual_days, apologies, at_risk_now, overdue_now,
        files_received_rate, electronic_result_rate, online_rate, full_process_rate,
        partial_rate, online_payment_rate, postal_return_rate, satisfaction_rate, ratings)
}


def compute(dossiers: Iterable[DossierFacts], window: Window, *, today: date,
            calendar: WorkingCalendar) -> dict[str, Any]:
    """Every indicator of ``indicators_766.yaml`` for ``dossiers`` over ``window``."""
    selection = Selection(list(dossiers), window, today, calendar)
    return {entry["id"]: COUNTS[entry["counts"]](selection)
            for entry in formulas()["indicators"]}


def breakdown(dossiers: list[DossierFacts], by: Callable[[DossierFacts], str | None],
              window: Window, *, today: date, calendar: WorkingCalendar
              ) -> dict[str, dict[str, Any]]:
    """The indicators per value of ``by`` (department, procedure), sorted by that value."""
    groups: dict[str, list[DossierFacts]] = {}
    for f in dossiers:
        groups.setdefault(by(f) or "-", []).append(f)
    return {key: compute(groups[key], window, today=today, calendar=calendar)
            for key in sorted(groups)}
