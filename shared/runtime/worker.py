"""A loop that drains a table of pending side effects (payments, shipments, emails).

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` inside the step, so replicas share the
work without taking the same row. The loop wakes on a PostgreSQL notification from the
table's insert trigger, and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)


async def drain_forever(
    pool: asyncpg.Pool,
    step: Callable[[], Awaitable[int]],
    *,
    channel: str,
    interval_s: float = 1.0,
    batch_size: int = 20,
) -> None:
    """Run ``step`` (which returns how many rows it handled) until cancelled."""
    wake = asyncio.Event()

    def on_notify(*_: object) -> None:
        wake.set()

    async with pool.acquire() as listener:
        await listener.add_listener(channel, on_notify)
        try:
            while True:
                try:
                    handled = await step()
                except Exception:
                    log.exception("worker step failed", channel=channel)
                    handled = 0
                if handled < batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), interval_s)
                    wake.clear()
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(channel, on_notify)


# The work tables that share the retry columns (status, attempts, next_attempt_at,
# last_error); named here so the statement below is never built from outside input.
_WORK_TABLES = frozenset({"payment", "refund", "shipment", "email_message"})


async def retry_later(conn: asyncpg.Connection, table: str, row_id: Any, *, attempts: int,
                      error: BaseException, max_attempts: int) -> None:
    """Record a failed attempt at a side effect: back off exponentially (2^n s, at most five
    minutes), and give the row up as ``failed`` once it has had ``max_attempts``."""
    if table not in _WORK_TABLES:
        raise ValueError(f"{table!r} is not a work table")
    await conn.execute(
        f"""UPDATE {table} SET attempts = $2::int, last_error = $3,
                   status = CASE WHEN $2::int >= $4::int THEN 'failed' ELSE status END,
                   next_attempt_at = now()
                       + make_interval(secs => least(300, 2 ^ $2::int)::double precision)
            WHERE id = $1""",  # noqa: S608 - the table is one of _WORK_TABLES
        row_id, attempts, repr(error)[:500], max_attempts,
    )
