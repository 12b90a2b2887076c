"""Wake on a PostgreSQL notification, poll as a fallback: the loop under every side effect
(and under processing's deadline scanner)."""

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
    """Run ``step`` (which returns how many rows it handled) until cancelled: at once again
    while it handles full batches, else after a ``NOTIFY <channel>`` or ``interval_s``."""
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
