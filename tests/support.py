"""Helpers for tests: a free TCP port, and polling a condition with a deadline (never a sleep)."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the system picks it, so parallel runs differ)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


async def wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,  # noqa: ASYNC109 - the deadline is the point of a polling helper
    interval: float = 0.05,
    description: str | None = None,
) -> T:
    """Poll ``predicate`` (sync or async) until it returns something truthy, and return that.

    Raises TimeoutError naming what was awaited and the last value seen after ``timeout`` s.
    """
    what = description or getattr(predicate, "__name__", repr(predicate))
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: still false after {timeout:g} s (last value {result!r})")
        await asyncio.sleep(interval)
