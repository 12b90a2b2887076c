"""Wake on a PostgreSQL notification, poll as a fallback: the loop under every side effect
(and under processing's deadline scanner)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from shared.runtime.db import Notifications

log = structlog.get_logger(__name__)


async def drain_forever(
    pool: asyncpg.Pool,
    step: Callable[[], Awaitable[int]],
    *,
    channel: str,
    interval_s: float = 1.0,
    batch_size: int = 20,
    notifications: Notifications | None = None,
) -> None:
    """Run ``step`` (which returns how many rows it handled) until cancelled: at once again
    while it handles full batches, else after a ``NOTIFY <channel>`` or ``interval_s``.

    The ``LISTEN`` is on ``notifications``' direct connection (a service's, see
    :class:`shared.runtime.db.Notifications`); without it, on a connection held from
    ``pool`` for the loop's life, which is right only when the pool goes straight to
    PostgreSQL (no transaction pooler between)."""
    wake = asyncio.Event()

    def on_notify(*_: object) -> None:
        wake.set()

    async def loop() -> None:
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

    if notifications is not None:
        await notifications.listen(channel, wake.set)
        try:
            await loop()
        finally:
            await notifications.unlisten(channel, wake.set)
        return
    async with pool.acquire() as listener:
        await listener.add_listener(channel, on_notify)
        try:
            await loop()
        finally:
            with contextlib.suppress(Exception):
                await listener.remove_listener(channel, on_notify)
