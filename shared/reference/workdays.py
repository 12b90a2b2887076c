"""Working days of Vietnamese public offices, and the due dates counted on them.

Deadlines are counted in working days (Monday–Friday, minus public holidays, plus the make-up
Saturdays the government announces) from the business date of receipt, in Vietnam's time
zone. The ``holidays`` package knows the fixed and lunar holidays; an operator-edited YAML
file adds announced swaps and decisions the installed package may not know yet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE_CUTOFF = time(17)


class SlaClass(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


class _Day(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    date: date
    name: str = Field(min_length=1)


class _Year(BaseModel):
    """One year of the override file."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    days_off: tuple[_Day, ...] = ()
    working_days: tuple[_Day, ...] = ()


# Per year: every named day off (weekends included, for day_name), and the days worked
# although a weekend or a package holiday.
_YearDays = tuple[dict[date, str], dict[date, str]]


@dataclass
class WorkingCalendar:
    """Package holidays plus overrides; overrides win over the package."""

    overrides: dict[int, _Year] = field(default_factory=dict)
    _years: dict[int, _YearDays] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def default(cls) -> WorkingCalendar:
        """The shipped override file, or the one ``CALENDAR_OVERRIDES`` names (cached)."""
        shipped = files("shared.reference.data.calendar") / "overrides.yaml"
        return _calendar_for(os.environ.get("CALENDAR_OVERRIDES") or str(shipped))

    @classmethod
    def from_file(cls, path: str | Path) -> WorkingCalendar:
        return cls.from_yaml(Path(path).read_text(encoding="utf-8"), str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "<text>") -> WorkingCalendar:
        """Overrides from YAML text; errors name ``source`` so an operator can fix the file."""
        try:
            raw = yaml.safe_load(text) or {}
            if not isinstance(raw, dict):
                raise ValueError("expected a mapping of year -> days_off / working_days")
            years = {int(y): _Year.model_validate(v or {}) for y, v in raw.items()}
        except (yaml.YAMLError, ValidationError, ValueError) as exc:
            raise ValueError(f"{source}: invalid calendar overrides: {exc}") from None
        for year, spec in years.items():
            days = [d.date for d in (*spec.days_off, *spec.working_days)]
            if any(d.year != year for d in days) or len(set(days)) != len(days):
                raise ValueError(f"{source}: {year}: a date is outside {year} or listed twice")
        return cls(overrides=years)

    def is_working_day(self, d: date) -> bool:
        off, makeup = self._year(d.year)
        return d in makeup or (d.weekday() < 5 and d not in off)

    def day_name(self, d: date) -> str | None:
        """Vietnamese name of a holiday or make-up day; None for an ordinary day."""
        off, makeup = self._year(d.year)
        return makeup.get(d) or off.get(d)

    def non_working_weekdays(self, year: int) -> list[tuple[date, str]]:
        return sorted((d, n) for d, n in self._year(year)[0].items() if d.weekday() < 5)

    def makeup_working_days(self, year: int) -> list[tuple[date, str]]:
        return sorted(self._year(year)[1].items())

    def counted_from(self, received_at: datetime, cutoff: time = OFFICE_CUTOFF) -> date:
        """The business date a receipt counts on: the next working day when it came on a
        non-working day or at/after the cut-off."""
        local = _business(received_at)
        if self.is_working_day(local.date()) and local.time() < cutoff:
            return local.date()
        return self.add_working_days(local.date(), 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; ``start`` itself is not counted (Civil Code
        2015 art. 147: a period in days begins the day after the event)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def due_date(self, received_at: datetime, days: int, cutoff: time = OFFICE_CUTOFF) -> date:
        """The date ``days`` working days after the day a receipt at ``received_at`` counts
        on: the one due-date formula of the system."""
        return self.add_working_days(self.counted_from(received_at, cutoff), days)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end is not after start."""
        return sum(
            self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
        )

    def extend_for_pause(
        self, due: date, paused_from: datetime, resumed_at: datetime, cutoff: time = OFFICE_CUTOFF
    ) -> date:
        """Policy "resume the remaining days": the due date moves by the working days the
        clock was stopped, from the pause's business date to the date resumption counts on."""
        if _business(resumed_at) < _business(paused_from):
            raise ValueError("resumed_at is before paused_from")
        lost = self.working_days_between(
            _business(paused_from).date(), self.counted_from(resumed_at, cutoff)
        )
        return max(due, self.add_working_days(due, lost))

    def restart(
        self,
        resumed_at: datetime,
        days: int,
        cutoff: time = OFFICE_CUTOFF,
        not_before: date | None = None,
    ) -> date:
        """Policy "restart the full period" from the complete supplement; never before
        ``not_before`` (the current due date), so a restart cannot shorten a deadline."""
        due = self.due_date(resumed_at, days, cutoff)
        return due if not_before is None else max(due, not_before)

    def _year(self, year: int) -> _YearDays:
        if year not in self._years:
            self._years[year] = self._build_year(year)
        return self._years[year]

    def _build_year(self, year: int) -> _YearDays:
        """The package's days for ``year``, then this file's entries on top."""
        package = holidays.country_holidays("VN", years=year, language="vi")
        off = dict(package.items())
        makeup = {
            d: f"Ngày làm việc bù ({d:%d/%m/%Y})"
            for d in getattr(package, "weekend_workdays", ())  # swaps, in holidays >= 0.100
            if d.year == year
        }
        spec = self.overrides.get(year, _Year())
        for day in spec.days_off:
            makeup.pop(day.date, None)
            off[day.date] = day.name
        for day in spec.working_days:
            off.pop(day.date, None)
            makeup[day.date] = day.name
        return off, makeup


def classify(finished_at: datetime, committed_due: date) -> SlaClass:
    """Early, on time or late against the committed due date, by business date."""
    finished = _business(finished_at).date()
    if finished < committed_due:
        return SlaClass.EARLY
    return SlaClass.ON_TIME if finished == committed_due else SlaClass.LATE


def _business(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required (naive times are ambiguous)")
    return moment.astimezone(BUSINESS_TZ)


@cache
def _calendar_for(path: str) -> WorkingCalendar:
    return WorkingCalendar.from_file(path)
