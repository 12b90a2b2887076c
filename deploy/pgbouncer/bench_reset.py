"""What the pool's reset query costs: a tight loop of short transactions, with asyncpg's
reset on release (``RESET ALL; UNLISTEN *; …``) and without it (``DB_POOL_RESET=false``).

    python -m deploy.pgbouncer.bench_reset postgresql://postgres@127.0.0.1:5432/postgres
    python -m deploy.pgbouncer.bench_reset postgresql://…@pgbouncer:6432/postgres --pooler

``--pooler`` turns the statement cache off, as ``DATABASE_POOLER=transaction`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from shared.runtime.db import create_pool


async def _loop(url: str, *, reset: bool, cache: int, workers: int, count: int) -> float:
    pool = await create_pool(url, min_size=workers, max_size=workers,
                             statement_cache_size=cache, reset=reset)

    async def work(n: int) -> None:
        for _ in range(n):
            async with pool.acquire() as conn, conn.transaction():
                await conn.fetchval("SELECT $1::int", 1)

    try:
        await work(50)  # warm up
        start = time.perf_counter()
        await asyncio.gather(*(work(count // workers) for _ in range(workers)))
        return (time.perf_counter() - start) / count * 1e6
    finally:
        await pool.close()


async def main(url: str, pooler: bool, count: int) -> None:
    cache = 0 if pooler else 100
    for workers in (1, 8):
        for reset in (True, False):
            micros = await _loop(url, reset=reset, cache=cache, workers=workers, count=count)
            print(f"workers={workers} reset={'on ' if reset else 'off'} cache={cache}: "
                  f"{micros:7.1f} µs per transaction")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--pooler", action="store_true")
    parser.add_argument("--count", type=int, default=4000)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.pooler, args.count))
