"""A service stopping (its background task cancelled, as on SIGTERM) finishes the side-effect
batch in hand: what already left the system is recorded, so nothing is sent again after the
restart."""

from __future__ import annotations

import asyncio

import pytest

from shared.runtime.db import create_pool
from shared.runtime.effects.drain import drain_forever
from tests.support import wait_until

pytestmark = pytest.mark.integration


async def test_a_stop_during_a_batch_lets_the_batch_record_what_it_did(database_url: str
                                                                       ) -> None:
    pool = await create_pool(database_url)
    await pool.execute("CREATE TABLE IF NOT EXISTS sent_batch (n int)")
    in_provider, provider_answers = asyncio.Event(), asyncio.Event()
    steps = 0

    async def step() -> int:
        nonlocal steps
        steps += 1
        if steps > 1:
            return 0
        in_provider.set()
        await provider_answers.wait()  # the email is on its way when the stop comes
        await pool.execute("INSERT INTO sent_batch VALUES (1)")  # recorded as sent
        return 1

    loop = asyncio.create_task(drain_forever(pool, step, channel="shutdown_test",
                                             interval_s=60, finish_within_s=10))
    try:
        await wait_until(in_provider.is_set, description="the batch is with the provider")
        loop.cancel()  # delivered before the provider's answer, which comes next
        provider_answers.set()
        with pytest.raises(asyncio.CancelledError):
            await loop
        assert await pool.fetchval("SELECT count(*) FROM sent_batch") == 1
        assert steps == 1, "no batch is claimed after the stop"
    finally:
        await pool.execute("DROP TABLE sent_batch")
        await pool.close()


async def test_a_batch_that_hangs_past_the_bound_is_cancelled(database_url: str) -> None:
    pool = await create_pool(database_url)
    started = asyncio.Event()
    cancelled = False

    async def step() -> int:
        nonlocal cancelled
        started.set()
        try:
            await asyncio.Event().wait()  # a provider that never answers
        except asyncio.CancelledError:
            cancelled = True
            raise
        return 0

    loop = asyncio.create_task(drain_forever(pool, step, channel="shutdown_test_hang",
                                             interval_s=60, finish_within_s=0.2))
    try:
        await wait_until(started.is_set, description="the batch started")
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop
        assert cancelled
    finally:
        await pool.close()
