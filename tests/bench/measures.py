"""Small arithmetic of the benchmark: percentiles, and what the service databases counted."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import asyncpg

from shared.runtime.settings import with_database
from tests.bench.stack import SERVICES


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 in milliseconds (None when there is too little to say)."""
    if len(seconds) < 2:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1)}


class ServiceDatabases:
    """Read-only questions to each service's database about its outbox."""

    def __init__(self, server_url: str) -> None:
        self._urls = {s: with_database(server_url, f"mot_cua_{s}") for s in SERVICES}

    async def _each(self, sql: str, *args: object) -> int:
        total = 0
        for url in self._urls.values():
            conn = await asyncpg.connect(url)
            try:
                total += int(await conn.fetchval(sql, *args))
            finally:
                await conn.close()
        return total

    async def unsent_events(self) -> int:
        return await self._each("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL")

    async def events_since(self, since_epoch_s: float) -> int:
        """Events every service recorded since then (each published once by its relay)."""
        return await self._each(
            "SELECT count(*) FROM outbox_message WHERE created_at >= to_timestamp($1)",
            since_epoch_s,
        )
