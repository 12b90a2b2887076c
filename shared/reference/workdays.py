"""Working days of Vietnamese public offices, and the due dates counted on them.

Deadlines are counted in working days (Monday–Friday, minus public holidays, plus the make-up
Saturdays the government announces) from the business date of receipt, in Vietnam's time
zone. The ``holidays`` package knows the fixed and lunar holidays (Labour Code 2019 art. 112);
an operator-edited YAML file records each year's government announcements, every one with
its source (document, date, issuer, status), adding the swaps and decisions the installed
package may not know yet. docs/calendar.md tells the operator's side.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OFFICE_CUTOFF = time(17)


class SlaClass(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


class Status(StrEnum):
    """How sure the calendar is of an announcement: ``confirmed`` (the official text was
    read), ``proposed`` (a ministry's proposal, not yet approved), ``reported`` (known from
    press reports of the document, the text not checked)."""

    CONFIRMED = "confirmed"
    PROPOSED = "proposed"
    REPORTED = "reported"


class Period(StrEnum):
    """The holiday period an announcement settles."""

    NEW_YEAR = "new_year"  # Tết Dương lịch, 1/1
    TET = "tet"  # Tết Nguyên Đán
    HUNG_KINGS = "hung_kings"  # Giỗ Tổ Hùng Vương, 10/3 lunar
    REUNIFICATION = "reunification"  # 30/4 and 1/5
    NATIONAL_DAY = "national_day"  # Quốc khánh, 2/9
    OTHER = "other"


WATCHED_PERIODS = (Period.TET, Period.REUNIFICATION, Period.NATIONAL_DAY)
"""The periods whose days the government fixes each year: offices are warned ahead of one
that no confirmed announcement settles (shared.reference.calendar)."""


class Source(BaseModel):
    """Where a deviation comes from: the document, its date and issuer, and how sure we are."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    document: str = Field(min_length=1, max_length=200, description="e.g. 12729/VPCP-KGVX")
    date: _dt.date | None = Field(description="the document's date; unknown only when reported")
    issuer: str = Field(min_length=1, max_length=200)
    status: Status
    url: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _dated(self) -> Self:
        if self.date is None and self.status is not Status.REPORTED:
            raise ValueError(f"a {self.status.value} source names its date")
        return self

    def cite(self) -> str:
        """One line naming the document, for a timeline entry's reason or a log line."""
        dated = f" of {self.date:%d/%m/%Y}" if self.date else ""
        return f"{self.document}{dated} ({self.issuer}, {self.status.value})"

    def cite_vi(self) -> str:
        """The document as a citizen reads it: "12729/VPCP-KGVX ngày 25/12/2025 của …"."""
        dated = f" ngày {self.date:%d/%m/%Y}" if self.date else ""
        return f"{self.document}{dated} của {self.issuer}"


LABOUR_CODE = Source(document="Bộ luật Lao động 45/2019/QH14, Điều 112", date=date(2019, 11, 20),
                     issuer="Quốc hội", status=Status.CONFIRMED)
"""The source of the package's days: the public holidays the Labour Code fixes."""


class _Day(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    date: date
    name: str = Field(min_length=1, max_length=200)


class Announcement(BaseModel):
    """One government decision about a year's days, with its source: the days offices close
    although the ``holidays`` package says they work, and the days they work although a
    weekend or a package holiday. An announcement that changes nothing (Tết as the Labour
    Code has it) is still recorded: it confirms its periods."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    source: Source
    periods: tuple[Period, ...] = Field(min_length=1)
    summary: str = Field(min_length=1, max_length=1000)
    days_off: tuple[_Day, ...] = ()
    working_days: tuple[_Day, ...] = ()

    def dates(self) -> list[date]:
        return [d.date for d in (*self.days_off, *self.working_days)]


@dataclass(frozen=True)
class Deviation:
    """A day that is not as the plain rule (Monday–Friday worked, weekends off) has it."""

    date: date
    working: bool
    name: str
    source: Source | None  # None: a snapshot from the database, sources not kept


# Per year: every named day off (weekends included, for day_name), and the days worked
# although a weekend or a package holiday; each with its source.
_Named = dict[date, tuple[str, Source | None]]
_YearDays = tuple[_Named, _Named]
_Years = dict[int, tuple[Announcement, ...]]


def _check(years: _Years, source: str) -> None:
    for year, announcements in years.items():
        days = [d for a in announcements for d in a.dates()]
        if any(d.year != year for d in days) or len(set(days)) != len(days):
            raise ValueError(f"{source}: {year}: a date is outside {year} or listed twice")


def parse_overrides(raw: object, source: str = "<text>") -> _Years:
    """The override file's content (year -> list of announcements), validated; errors name
    ``source`` so an operator can fix the file."""
    try:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ValueError("expected a mapping of year -> list of announcements")
        years: _Years = {}
        for y, v in raw.items():
            if not isinstance(v, list | None):
                raise ValueError(f"{y}: expected a list of announcements")
            years[int(y)] = tuple(Announcement.model_validate(a) for a in v or [])
    except (ValidationError, ValueError, TypeError) as exc:
        raise ValueError(f"{source}: invalid calendar overrides: {exc}") from None
    _check(years, source)
    return years


@dataclass
class WorkingCalendar:
    """Package holidays plus announcements; announcements win over the package.

    ``version`` names the days this calendar gives (not the sources' wording): a dossier
    records the version its dates were computed under, and a new version makes the services
    recompute the dates of their open dossiers."""

    announcements: _Years = field(default_factory=dict)
    _snapshot: dict[int, tuple[_Named, _Named]] | None = field(default=None, repr=False)
    _years: dict[int, _YearDays] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def default(cls) -> WorkingCalendar:
        """The shipped override file, or the one ``CALENDAR_OVERRIDES`` names (cached)."""
        return _calendar_for(str(overrides_path()))

    @classmethod
    def from_file(cls, path: str | Path) -> WorkingCalendar:
        return cls.from_yaml(Path(path).read_text(encoding="utf-8"), str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "<text>") -> WorkingCalendar:
        """Announcements from YAML text; errors name ``source`` so an operator can fix it."""
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"{source}: invalid calendar overrides: {exc}") from None
        return cls(announcements=parse_overrides(raw, source))

    def snapshot(self) -> dict[str, Any]:
        """The days this calendar adds to the package, as JSON: what a database keeps of a
        version so that dates computed under it can be recounted after it changed."""
        years: dict[str, Any] = {}
        for year in sorted({*self.announcements, *(self._snapshot or {})}):
            off, work = self._override_days(year)
            if off or work:
                years[str(year)] = {
                    "days_off": [[d.isoformat(), n] for d, (n, _) in sorted(off.items())],
                    "working_days": [[d.isoformat(), n] for d, (n, _) in sorted(work.items())]}
        return {"holidays": holidays.__version__, "years": years}

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> WorkingCalendar:
        """A calendar from :meth:`snapshot` (the package is the installed one)."""
        def named(days: list[list[str]]) -> _Named:
            return {date.fromisoformat(d): (n, None) for d, n in days}

        return cls(_snapshot={int(y): (named(v["days_off"]), named(v["working_days"]))
                              for y, v in snapshot["years"].items()})

    @cached_property
    def version(self) -> str:
        """A content hash of the days (overrides and package version), stable across runs."""
        text = json.dumps(self.snapshot(), sort_keys=True, ensure_ascii=False)
        return "cal-" + hashlib.sha256(text.encode()).hexdigest()[:12]

    def years(self) -> list[int]:
        return sorted(self.announcements)

    def confirmed(self, year: int, period: Period) -> Announcement | None:
        """The confirmed announcement settling ``period`` of ``year``, if there is one."""
        return next((a for a in self.announcements.get(year, ())
                     if period in a.periods and a.source.status is Status.CONFIRMED), None)

    def with_announcement(self, year: int, announcement: Announcement) -> WorkingCalendar:
        """This calendar and one more announcement, validated as the file would be."""
        years = {**self.announcements,
                 year: (*self.announcements.get(year, ()), announcement)}
        _check(years, "new announcement")
        return WorkingCalendar(announcements=years)

    def deviations(self, year: int) -> list[Deviation]:
        """The year's days that are not as the plain rule has them, each with its source."""
        off, work = self._year(year)
        days = [Deviation(d, False, n, s) for d, (n, s) in off.items() if d.weekday() < 5]
        days += [Deviation(d, True, n, s) for d, (n, s) in work.items() if d.weekday() >= 5]
        return sorted(days, key=lambda x: x.date)

    def is_working_day(self, d: date) -> bool:
        off, makeup = self._year(d.year)
        return d in makeup or (d.weekday() < 5 and d not in off)

    def day_name(self, d: date) -> str | None:
        """Vietnamese name of a holiday or make-up day; None for an ordinary day."""
        off, makeup = self._year(d.year)
        named = makeup.get(d) or off.get(d)
        return None if named is None else named[0]

    def non_working_weekdays(self, year: int) -> list[tuple[date, str]]:
        return sorted((d, n) for d, (n, _) in self._year(year)[0].items() if d.weekday() < 5)

    def makeup_working_days(self, year: int) -> list[tuple[date, str]]:
        return sorted((d, n) for d, (n, _) in self._year(year)[1].items())

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

    def resumed_due(
        self, *, due: date, days: int, policy: str, cutoff: time, received_at: datetime,
        paused_at: datetime, resumed_at: datetime,
    ) -> date:
        """The due date after a pause of a dossier received at ``received_at``, ``days``
        being the period this date counts: ``restart`` the full period from the resumption
        (never before ``due``), or ``resume`` the remaining days. The clock only started on
        the business date the receipt counts on, so a pause that began at a receipt on a
        Saturday or after the cut-off lost nothing before that date. The one rule for every
        service that counts pauses (processing's cases, reporting's what-if)."""
        if policy == "restart":
            return self.restart(resumed_at, days, cutoff, not_before=due)
        started = datetime.combine(self.counted_from(received_at, cutoff), time.min,
                                   BUSINESS_TZ)
        paused_from = max(paused_at, started)
        if resumed_at <= paused_from:
            return due
        try:
            return self.extend_for_pause(due, paused_from, resumed_at, cutoff)
        except OverflowError:  # a date set before dates were bounded, at the calendar's end:
            return due  # it cannot move later, and a pause never brings it forward

    def _year(self, year: int) -> _YearDays:
        if year not in self._years:
            self._years[year] = self._build_year(year)
        return self._years[year]

    def _override_days(self, year: int) -> tuple[_Named, _Named]:
        if self._snapshot is not None:
            return self._snapshot.get(year, ({}, {}))
        off: _Named = {}
        work: _Named = {}
        for a in self.announcements.get(year, ()):
            off.update({d.date: (d.name, a.source) for d in a.days_off})
            work.update({d.date: (d.name, a.source) for d in a.working_days})
        return off, work

    def _build_year(self, year: int) -> _YearDays:
        """The package's days for ``year``, then the announcements on top."""
        package = holidays.country_holidays("VN", years=year, language="vi")
        off: _Named = {d: (n, LABOUR_CODE) for d, n in package.items()}
        makeup: _Named = {
            d: (f"Ngày làm việc bù ({d:%d/%m/%Y})", LABOUR_CODE)
            for d in getattr(package, "weekend_workdays", ())  # swaps, in holidays >= 0.100
            if d.year == year
        }
        days_off, working_days = self._override_days(year)
        for d, named in days_off.items():
            makeup.pop(d, None)
            off[d] = named
        for d, named in working_days.items():
            off.pop(d, None)
            makeup[d] = named
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


def changed_days(previous: WorkingCalendar, calendar: WorkingCalendar, start: date, end: date
                 ) -> list[Deviation]:
    """The days in [start, end] worked under one calendar and not the other, as ``calendar``
    has them (source None: an entry withdrawn)."""
    changed = []
    for year in range(start.year, end.year + 1):
        days = {*previous._override_days(year)[0], *previous._override_days(year)[1],
                *calendar._override_days(year)[0], *calendar._override_days(year)[1]}
        for d in sorted(x for x in days if start <= x <= end):
            working = calendar.is_working_day(d)
            if working != previous.is_working_day(d):
                off, work = calendar._year(year)
                name, source = (work if working else off).get(d, ("", None))
                changed.append(Deviation(d, working, name, source))
    return changed


def describe_changes(previous: WorkingCalendar, calendar: WorkingCalendar, start: date,
                     end: date) -> str:
    """Why dates counted over [start, end] moved, in Vietnamese for the citizen's timeline:
    the announcements and the days they changed."""
    by_source: dict[str, list[str]] = {}
    for d in changed_days(previous, calendar, start, end):
        cite = d.source.cite_vi() if d.source else "Lịch làm việc được điều chỉnh"
        kind = "làm việc" if d.working else "nghỉ"
        by_source.setdefault(cite, []).append(f"{d.date:%d/%m/%Y} {kind}")
    if not by_source:
        return "Lịch làm việc được điều chỉnh"
    return "; ".join(f"{cite}: {', '.join(days)}" for cite, days in by_source.items())


def overrides_path() -> Path:
    """The override file in force: ``CALENDAR_OVERRIDES``, else the one shipped."""
    shipped = files("shared.reference.data.calendar") / "overrides.yaml"
    return Path(os.environ.get("CALENDAR_OVERRIDES") or str(shipped))


def tet_day(year: int) -> date:
    """The first day of the lunar year (mùng một Tết) in ``year``."""
    package = holidays.country_holidays("VN", years=year, language="vi")
    return next(d for d, n in sorted(package.items()) if n == "Tết Nguyên Đán")


@cache
def _calendar_for(path: str) -> WorkingCalendar:
    return WorkingCalendar.from_file(path)
