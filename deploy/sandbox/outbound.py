"""The sandboxes' calls to the merchant (VNPay's IPNs, GHN's webhooks, eSMS's delivery
reports) go through one HTTP client per gateway, kept for its life, as a provider keeps its
connections: a client made per call builds an SSL context each time, which cost the bench's
sandbox most of its CPU (about 20 ms a call, far more on a loaded machine).

A gateway's clock is moved by its real-time tick and by tests or the bench (``POST
…/clock``), possibly at once: :class:`Clock` lets one move at a time (two moves at once both
sent every item due, ~30 % of the bench's webhooks went twice). A move by a test is a
fast-forward of what is due (an IPN retried five minutes later, say); the next tick puts the
clock back on the wall's, since the orders the merchant makes meanwhile are dated by it (a
clock kept ahead would find every new VNPay order expired). What is due goes out
concurrently within a bound, each group (a parcel's webhooks) in its order
(:func:`send_in_groups`): one after another, a slow merchant held every other parcel's
webhook behind it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import httpx

T = TypeVar("T")

SEND_CONCURRENCY = 8
"""Calls a gateway has in flight to the merchant at most (a provider's sender pool)."""


class Clock:
    """A gateway's clock moves one caller at a time."""

    def __init__(self) -> None:
        self.moving = asyncio.Lock()

    @staticmethod
    def moved(now: datetime, seconds: float = 0, to: datetime | None = None) -> datetime:
        """The clock after a move by ``seconds``, or to ``to`` (the wall clock of the tick)."""
        return now + timedelta(seconds=seconds) if to is None else to


async def send_in_groups(items: Iterable[T], group_of: Callable[[T], Hashable],
                         send: Callable[[T], Awaitable[None]],
                         limit: int = SEND_CONCURRENCY) -> None:
    """Send every item: the groups concurrently (at most ``limit`` at once), each group's
    items one after another in the order given."""
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append(item)
    room = asyncio.Semaphore(limit)

    async def in_order(group: list[T]) -> None:
        async with room:
            for item in group:
                await send(item)

    await asyncio.gather(*(in_order(group) for group in groups.values()))


class Outbound:
    """A lazily made client (made inside the running event loop, on first use)."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout_s)
        return self._client
