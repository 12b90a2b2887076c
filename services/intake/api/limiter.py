"""The public tracking page's rate limit, per client address."""

from __future__ import annotations

import time

from fastapi import HTTPException, Request, status
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class TrackingLimiter:
    def __init__(self, rate: str, client_ip_header: str | None = None) -> None:
        self._rate = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._header = client_ip_header

    def client_of(self, request: Request) -> str:
        if self._header and (forwarded := request.headers.get(self._header)):
            return forwarded.split(",")[0].strip()  # the first hop is the client
        return request.client.host if request.client else "unknown"

    async def __call__(self, request: Request) -> None:
        """FastAPI dependency: 429 with Retry-After once a client exceeds the rate."""
        client = self.client_of(request)
        if await self._limiter.hit(self._rate, "track", client):
            return
        stats = await self._limiter.get_window_stats(self._rate, "track", client)
        wait = max(1, int(stats.reset_time - time.time()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Tra cứu quá nhiều lần, vui lòng thử lại sau {wait} giây.",
            headers={"Retry-After": str(wait)},
        )
