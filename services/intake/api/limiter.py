"""The public tracking page's rate limits: per client address, and per dossier code.

Counted in PostgreSQL (fixed windows, one upsert per lookup), so every intake replica shares
one count: the ``limits`` library, whose notation the settings keep (``30/minute``), ships no
PostgreSQL storage, and one statement is the whole algorithm. A fixed window lets a client
make up to twice the rate across a window's edge; the per-code limit is what makes guessing a
code's second factor slow whatever the number of addresses (see docs/security.md).

The client's address is the rightmost ``X-Forwarded-For`` hop that is not a trusted proxy,
as uvicorn's ProxyHeadersMiddleware resolves it (the hops to its left are the client's to
write); with no trusted proxy, the header is ignored and the peer address counts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.intake import repository

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _nothing(*_: Any) -> Any:
    return None


class TrackingLimiter:
    def __init__(self, pool: asyncpg.Pool, per_client: str, per_code: str, *,
                 trusted_proxies: str | list[str] = "", clock: Clock = _utc_now) -> None:
        self._pool = pool
        self._per_client, self._per_code = parse(per_client), parse(per_code)
        hosts = [h.strip() for h in trusted_proxies.split(",")] if isinstance(
            trusted_proxies, str) else trusted_proxies
        self._proxies = ProxyHeadersMiddleware(_nothing, [h for h in hosts if h])
        self._clock = clock

    async def client_of(self, request: Request) -> str:
        scope = dict(request.scope)  # the middleware rewrites the client of its copy
        await self._proxies(scope, _nothing, _nothing)  # type: ignore[arg-type]
        client = scope.get("client")
        return str(client[0]) if client else "unknown"

    async def check(self, request: Request, code: str) -> None:
        """429 with Retry-After once this client, or this code, exceeds its rate."""
        for rate, key in ((self._per_client, f"client:{await self.client_of(request)}"),
                          (self._per_code, f"code:{code}")):
            await self._hit(rate, key)

    async def _hit(self, rate: RateLimitItem, key: str) -> None:
        now = self._clock()
        period = rate.get_expiry()
        start = datetime.fromtimestamp(math.floor(now.timestamp() / period) * period, UTC)
        end = start + timedelta(seconds=period)
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no address kept in clear
        async with self._pool.acquire() as conn:
            hits = await repository.hit_rate_window(conn, digest, start, end)
        if hits <= rate.amount:
            return
        wait = max(1, math.ceil((end - now).total_seconds()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Tra cứu quá nhiều lần, vui lòng thử lại sau {wait} giây.",
            headers={"Retry-After": str(wait)},
        )
