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
    finish_within_s: float = 8.0,
) -> None:
    """Run ``step`` (which returns how many rows it handled) until cancelled: at once again
    while it handles full batches, else after a ``NOTIFY <channel>`` or ``interval_s``.

    The ``LISTEN`` is on ``notifications``' direct connection (a service's, see
    :class:`shared.runtime.db.Notifications`); without it, on a connection held from
    ``pool`` for the loop's life, which is right only when the pool goes straight to
    PostgreSQL (no transaction pooler between).

    Cancelled during a step (a service stopping on SIGTERM), the step is finished first, for up
    to ``finish_within_s``: a batch whose emails or charges already left is recorded, not
    rolled back and sent again after the restart."""
    wake = asyncio.Event()

    def on_notify(*_: object) -> None:
        wake.set()

    async def loop() -> None:
        while True:
            try:
                handled = await _finishing(step(), finish_within_s)
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


async def _finishing(step: Awaitable[int], within_s: float) -> int:
    """Await ``step``; when the waiting task is cancelled, let the step end (bounded by
    ``within_s``, past which it is cancelled too), then pass the cancellation on."""
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        done, _ = await asyncio.wait({task}, timeout=within_s)
        if not done:
            task.cancel()
            log.warning("stopping: a side-effect batch did not finish in time",
                        within_s=within_s)
        raise
