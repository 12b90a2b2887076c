"""The calendar's operator side: the warning before unconfirmed days, the watch every service
that computes deadlines runs, and the CLI (``python -m shared.reference.calendar``).

The warning: when the coming ``horizon_days`` include a holiday period the government fixes
each year (Tết, 30/4–1/5, 2/9) of a year that has no *confirmed* announcement for it, the
deadlines counted across it rest on the Labour Code's days alone and may move when the
announcement comes. :func:`unconfirmed_periods` and :func:`calendar_warning` say so; the
officer console shows :func:`calendar_warning` as a banner, and :class:`CalendarWatch` logs
it at start-up and once a day, exports it as a metric and lists it in ``/readyz``.

CLI::

    python -m shared.reference.calendar show 2026
    python -m shared.reference.calendar check [--today 2026-12-02] [--days 90]
    python -m shared.reference.calendar add 2027 --document 1234/TB-BNV --date 2026-12-10 \\
        --issuer "Bộ Nội vụ" --status confirmed --period tet --summary "..." \\
        --day-off 2027-02-12:"Nghỉ Tết Nguyên Đán" --working-day 2027-02-20:"Làm việc bù"

``add`` validates the announcement against the whole file and writes the file the services
read (``CALENDAR_OVERRIDES``, else the shipped one; ``--file`` for another).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
import yaml
from prometheus_client import Gauge
from pydantic import ValidationError

from shared.reference.workdays import (
    BUSINESS_TZ,
    WATCHED_PERIODS,
    Announcement,
    Period,
    Source,
    Status,
    WorkingCalendar,
    overrides_path,
    parse_overrides,
    tet_day,
)

log = structlog.get_logger(__name__)

DEFAULT_HORIZON_DAYS = 90
UNCONFIRMED = Gauge(
    "calendar_unconfirmed_holiday_periods",
    "Holiday periods within the warning horizon with no confirmed announcement (1 each)",
    ["period", "year"])

_LABEL = {Period.TET: "Tết", Period.REUNIFICATION: "30/4–1/5", Period.NATIONAL_DAY: "2/9"}


@dataclass(frozen=True)
class UnconfirmedPeriod:
    """A holiday period ahead that no confirmed announcement settles."""

    period: Period
    year: int
    starts: date  # the holiday itself: mùng một Tết, 30/4, 2/9
    announcement: Announcement | None  # the best unconfirmed one recorded, if any

    def line(self) -> str:
        known = (f"; recorded only as {self.announcement.source.status.value}: "
                 f"{self.announcement.source.cite()}" if self.announcement else "")
        return (f"{_LABEL[self.period]} {self.year} ({self.starts:%d/%m/%Y}) has no confirmed "
                f"announcement: deadlines across it count the Labour Code's days only and may "
                f"move{known}")


def period_start(period: Period, year: int) -> date:
    if period is Period.TET:
        return tet_day(year)
    if period is Period.REUNIFICATION:
        return date(year, 4, 30)
    if period is Period.NATIONAL_DAY:
        return date(year, 9, 2)
    raise ValueError(f"{period} is not a watched period")


def unconfirmed_periods(today: date, horizon_days: int = DEFAULT_HORIZON_DAYS,
                        calendar: WorkingCalendar | None = None) -> list[UnconfirmedPeriod]:
    """The watched holiday periods starting within ``horizon_days`` from ``today`` (today
    included) whose year has no confirmed announcement for them, soonest first."""
    calendar = calendar or WorkingCalendar.default()
    end = today + timedelta(days=horizon_days)
    found = []
    for year in range(today.year, end.year + 1):
        for period in WATCHED_PERIODS:
            starts = period_start(period, year)
            if today <= starts <= end and calendar.confirmed(year, period) is None:
                recorded = [a for a in calendar.announcements.get(year, ())
                            if period in a.periods]
                found.append(UnconfirmedPeriod(period, year, starts,
                                               recorded[0] if recorded else None))
    return sorted(found, key=lambda p: p.starts)


def calendar_warning(today: date, horizon_days: int = DEFAULT_HORIZON_DAYS,
                     calendar: WorkingCalendar | None = None) -> str | None:
    """The warning as one English line for a banner or a log, None when all is confirmed."""
    lines = [p.line() for p in unconfirmed_periods(today, horizon_days, calendar)]
    return "; ".join(lines) if lines else None


def business_today(now: datetime) -> date:
    return now.astimezone(BUSINESS_TZ).date()


class CalendarWatch:
    """What a service that computes deadlines runs: the warning checked on its clock, logged
    at start-up and once a business day, exported as ``calendar_unconfirmed_holiday_periods``
    and listed in ``/readyz``'s notices (shared.runtime.service)."""

    def __init__(self, calendar: WorkingCalendar, now: Callable[[], datetime] | None = None,
                 horizon_days: int = DEFAULT_HORIZON_DAYS, interval_s: float = 3600.0) -> None:
        self.calendar, self.horizon_days, self.interval_s = calendar, horizon_days, interval_s
        self.now = now or (lambda: datetime.now(UTC))
        self.logged_for: date | None = None
        self._checked = asyncio.Event()

    def periods(self) -> list[UnconfirmedPeriod]:
        return unconfirmed_periods(business_today(self.now()), self.horizon_days, self.calendar)

    def notices(self) -> list[str]:
        """The lines ``/readyz`` shows (not a failure: the service is ready)."""
        return [p.line() for p in self.periods()]

    def check(self) -> list[UnconfirmedPeriod]:
        """Refresh the metric; log the warning if not yet logged this business day."""
        today = business_today(self.now())
        periods = unconfirmed_periods(today, self.horizon_days, self.calendar)
        UNCONFIRMED.clear()
        for p in periods:
            UNCONFIRMED.labels(period=p.period.value, year=str(p.year)).set(1)
        if self.logged_for != today:
            self.logged_for = today
            if periods:
                log.warning("calendar: holiday period ahead without a confirmed announcement",
                            periods=[f"{p.period.value} {p.year}" for p in periods],
                            detail=[p.line() for p in periods], horizon_days=self.horizon_days,
                            calendar_version=self.calendar.version)
            else:
                log.info("calendar: every holiday period ahead is confirmed",
                         horizon_days=self.horizon_days, calendar_version=self.calendar.version)
        return periods

    async def run(self) -> None:
        """Check now, then every ``interval_s`` (the log line once per business day)."""
        while True:
            self.check()
            self._checked.set()
            await asyncio.sleep(self.interval_s)

    async def next_check(self) -> None:
        """Returns once :meth:`run` has checked again (for tests that move the clock)."""
        self._checked.clear()
        await self._checked.wait()


async def watch_calendar(deps: Any) -> None:
    """A ServiceSpec background job: runs the ``calendar_watch`` of a service's deps."""
    watch: CalendarWatch | None = getattr(deps, "calendar_watch", None)
    if watch is not None:
        await watch.run()


def calendar_notices(deps: Any) -> list[str]:
    """A ServiceSpec's ``notices``: the warning's lines for ``/readyz``."""
    watch: CalendarWatch | None = getattr(deps, "calendar_watch", None)
    return [] if watch is None else watch.notices()


# --- The override file, written back ------------------------------------------------------------


def read_file(path: Path) -> tuple[str, dict[int, list[Any]]]:
    """The file's leading comment block and its content, validated."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    header = "".join(line for line in _leading_comments(text))
    raw = yaml.safe_load(text) or {}
    parse_overrides(raw, str(path))
    return header, {int(y): list(v or []) for y, v in raw.items()}


def _leading_comments(text: str) -> list[str]:
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def add_announcement(path: Path, year: int, announcement: Announcement) -> WorkingCalendar:
    """Validate ``announcement`` with the file's others and write the file; the new calendar."""
    header, years = read_file(path)
    years.setdefault(year, []).append(announcement.model_dump(mode="json", exclude_none=True))
    years = dict(sorted(years.items()))
    calendar = WorkingCalendar(announcements=parse_overrides(years, str(path)))
    body = yaml.safe_dump(years, allow_unicode=True, sort_keys=False, width=100)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(header + body, encoding="utf-8")
    tmp.replace(path)  # whole or not at all: a service starting meanwhile reads either file
    return calendar


# --- CLI ----------------------------------------------------------------------------------------


def _show(calendar: WorkingCalendar, year: int) -> str:
    days = calendar.deviations(year)
    working = sum(calendar.is_working_day(date(year, 1, 1) + timedelta(days=i))
                  for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days))
    out = [f"{year}: {working} working days (calendar {calendar.version})",
           "Deviations from Monday–Friday:"]
    for d in days:
        source = d.source.cite() if d.source else "source not kept"
        kind = "worked " if d.working else "off    "
        out.append(f"  {d.date:%a %d/%m/%Y}  {kind} {d.name}  [{source}]")
    out.append("Announcements:")
    for a in calendar.announcements.get(year, ()):
        periods = ",".join(p.value for p in a.periods)
        out.append(f"  [{periods}] {a.source.cite()}: {a.summary}")
    if not calendar.announcements.get(year):
        out.append("  none recorded")
    return "\n".join(out)


def _named_day(text: str) -> dict[str, str]:
    day, sep, name = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected YYYY-MM-DD:name")
    try:
        return {"date": date.fromisoformat(day.strip()).isoformat(), "name": name.strip()}
    except ValueError as bad:
        raise argparse.ArgumentTypeError(f"{text!r}: {bad}") from None


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m shared.reference.calendar",
                                  description="The working-day calendar and its announcements.")
    cli.add_argument("--file", type=Path, default=None,
                     help="override file (default: CALENDAR_OVERRIDES, else the shipped one)")
    commands = cli.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="a year's working days, deviations and sources")
    show.add_argument("year", type=int)
    check = commands.add_parser("check", help="what the warning before unconfirmed days says")
    check.add_argument("--today", type=date.fromisoformat, default=None)
    check.add_argument("--days", type=int, default=DEFAULT_HORIZON_DAYS)
    add = commands.add_parser("add", help="record an announcement with its source")
    add.add_argument("year", type=int)
    add.add_argument("--document", required=True, help="document number, e.g. 12729/VPCP-KGVX")
    add.add_argument("--date", type=date.fromisoformat, default=None,
                     help="the document's date (required unless --status reported)")
    add.add_argument("--issuer", required=True)
    add.add_argument("--status", required=True, choices=[s.value for s in Status])
    add.add_argument("--url", default=None)
    add.add_argument("--period", action="append", required=True,
                     choices=[p.value for p in Period], help="repeat for several")
    add.add_argument("--summary", required=True, help="what it decides, in English")
    add.add_argument("--day-off", type=_named_day, action="append", default=[],
                     metavar="YYYY-MM-DD:NAME")
    add.add_argument("--working-day", type=_named_day, action="append", default=[],
                     metavar="YYYY-MM-DD:NAME")
    return cli


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    path: Path = args.file or overrides_path()
    try:
        if args.command == "add":
            announcement = Announcement(
                source=Source(document=args.document, date=args.date, issuer=args.issuer,
                              status=Status(args.status), url=args.url),
                periods=tuple(Period(p) for p in args.period), summary=args.summary,
                days_off=args.day_off, working_days=args.working_day)
            calendar = add_announcement(path, args.year, announcement)
            print(f"recorded in {path}: {announcement.source.cite()}; calendar {calendar.version}")
            print("Restart the services (or run `python -m services.processing.recompute`): "
                  "open dossiers' dates follow the new calendar.")
            return 0
        calendar = WorkingCalendar.from_file(path)
        if args.command == "show":
            print(_show(calendar, args.year))
            return 0
        today = args.today or business_today(datetime.now(UTC))
        periods = unconfirmed_periods(today, args.days, calendar)
        for p in periods:
            print(f"WARNING: {p.line()}")
        if not periods:
            print(f"OK: every holiday period until {today + timedelta(days=args.days):%d/%m/%Y}"
                  f" is confirmed")
        return 1 if periods else 0
    except (ValueError, ValidationError) as invalid:
        print(f"error: {invalid}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
