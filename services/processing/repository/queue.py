"""A department's queue: SLA states, filters, search, sort and pages, computed in SQL.

The SLA state is derived from the status and the committed date against today's business
date, never stored, so it cannot go stale between scans.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import asyncpg

from services.processing.domain.clock import SLA_STATES, SlaState
from services.processing.domain.rules import CLOCK_PAUSED, OPEN

Sort = Literal["due_date", "-due_date", "received_at", "-received_at", "code"]
_ORDER = {"due_date": "due_date ASC", "-due_date": "due_date DESC",
          "received_at": "coalesce(received_at, submitted_at) ASC",
          "-received_at": "coalesce(received_at, submitted_at) DESC", "code": "code ASC"}


def fold(text: str) -> str:
    """Lower case without diacritics, so "nguyen van a" finds "Nguyễn Văn A"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@dataclass(frozen=True)
class QueueQuery:
    department_code: str
    today: date
    near: date  # a committed date on or before this is at risk
    statuses: tuple[str, ...] = tuple(sorted(s.value for s in OPEN))
    sla_states: tuple[SlaState, ...] = ()
    search: str | None = None
    sort: Sort = "due_date"
    limit: int = 20
    offset: int = 0


_SLA = """CASE WHEN status = ANY($2) THEN 'paused'
               WHEN NOT status = ANY($3) THEN NULL
               WHEN due_date < $4 THEN 'overdue'
               WHEN due_date <= $5 THEN 'at_risk'
               ELSE 'on_track' END"""


def _where(query: QueueQuery) -> tuple[str, list[Any]]:
    args: list[Any] = [query.department_code, [s.value for s in CLOCK_PAUSED],
                       [s.value for s in OPEN], query.today, query.near, list(query.statuses)]
    where = "department_code = $1 AND status = ANY($6)"
    if query.search:
        needle = query.search.strip()
        args += [f"%{_escape(needle.upper())}%", f"%{_escape(fold(needle))}%"]
        where += f" AND (code LIKE ${len(args) - 1} OR applicant_search LIKE ${len(args)})"
    return where, args


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_queue(conn: asyncpg.Connection, query: QueueQuery
                     ) -> tuple[list[asyncpg.Record], int, dict[str, int]]:
    """One page of items, the total matching the filters, and counts per SLA state (the
    SLA filter left out of the counts, so they read as tabs)."""
    where, args = _where(query)
    base = f"SELECT *, {_SLA} AS sla_state FROM dossier_case WHERE {where}"  # noqa: S608
    counts = {state: 0 for state in SLA_STATES}
    for row in await conn.fetch(
        f"SELECT sla_state, count(*) AS n FROM ({base}) q GROUP BY sla_state", *args  # noqa: S608
    ):
        if row["sla_state"] is not None:
            counts[row["sla_state"]] = row["n"]
    filtered = f"SELECT * FROM ({base}) q"  # noqa: S608
    if query.sla_states:
        args.append(list(query.sla_states))
        filtered += f" WHERE sla_state = ANY(${len(args)})"
    total = await conn.fetchval(f"SELECT count(*) FROM ({filtered}) f", *args)  # noqa: S608
    rows = await conn.fetch(
        f"{filtered} ORDER BY {_ORDER[query.sort]}, code LIMIT {int(query.limit)} "
        f"OFFSET {int(query.offset)}",
        *args,
    )
    return rows, total, counts


async def count_sla_states(conn: asyncpg.Connection, today: date, near: date,
                           department_code: str | None = None) -> list[asyncpg.Record]:
    """Dossiers per department and SLA state (``department_code``, ``sla_state``, ``n``),
    of one department or of all (None): the operator's gauge. Closed dossiers have none."""
    return await conn.fetch(
        f"""SELECT department_code, sla_state, count(*) AS n
            FROM (SELECT department_code, {_SLA} AS sla_state FROM dossier_case
                  WHERE $1::text IS NULL OR department_code = $1) q
            WHERE sla_state IS NOT NULL GROUP BY department_code, sla_state""",  # noqa: S608
        department_code, [s.value for s in CLOCK_PAUSED], [s.value for s in OPEN], today, near)
