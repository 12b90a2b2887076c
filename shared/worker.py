"""A loop that drains a table of pending side effects (payments, shipments, emails).

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` inside the step, so replicas share the
work without taking the same row. The loop wakes on a PostgreSQL notification from the
table's insert trigger, and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

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
