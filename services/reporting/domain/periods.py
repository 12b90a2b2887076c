"""The periods indicators are counted in: a month, a quarter, a year, or any range of dates
(business dates, Vietnam's time zone, both ends included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Granularity = Literal["month", "quarter", "year"]


class PeriodError(ValueError):
    """A period that cannot be counted (from after to, or too long)."""


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive
    label: str

    def __contains__(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


def window(start: date, end: date) -> Window:
    if start > end:
        raise PeriodError(f"from ({start}) is after to ({end})")
    if (end - start).days > 366 * 20:
        raise PeriodError("a range of at most 20 years")
    return Window(start, end, f"{start.isoformat()}..{end.isoformat()}")


def _next_start(day: date, granularity: Granularity) -> date:
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _bucket_start(day: date, granularity: Granularity) -> date:
    if granularity == "year":
        return date(day.year, 1, 1)
    if granularity == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return date(day.year, day.month, 1)


def label(start: date, granularity: Granularity) -> str:
    if granularity == "year":
        return f"{start.year}"
    if granularity == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def split(whole: Window, granularity: Granularity) -> list[Window]:
    """``whole`` cut into calendar months, quarters or years (the ends clipped to it)."""
    out: list[Window] = []
    start = _bucket_start(whole.start, granularity)
    while start <= whole.end:
        nxt = _next_start(start, granularity)
        out.append(Window(max(start, whole.start), min(nxt - timedelta(days=1), whole.end),
                          label(start, granularity)))
        start = nxt
    return out
