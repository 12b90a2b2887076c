"""Intake's SQL about stored documents and portals' storage: leases, keeping, the sweep, quotas.

Every function takes the connection of the caller's transaction (see handlers/storage.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg


async def lease_documents(conn: asyncpg.Connection, documents: Sequence[tuple[str, int]],
                          at: datetime) -> None:
    """Lease ``(sha256, size)`` documents about to be written; an unkept lease is renewed."""
    await conn.execute(
        """INSERT INTO stored_document AS s (sha256, size, staged_at)
           SELECT sha256, size, $3 FROM unnest($1::text[], $2::bigint[]) AS d(sha256, size)
           ORDER BY sha256
           ON CONFLICT (sha256) DO UPDATE SET staged_at = EXCLUDED.staged_at
           WHERE s.kept_at IS NULL""",
        [sha for sha, _ in documents], [size for _, size in documents], at,
    )


async def keep_documents(conn: asyncpg.Connection, sha256s: Sequence[str]) -> int:
    """Mark leased documents kept (never swept); how many of them were still leased."""
    kept: int = await conn.fetchval(
        """WITH locked AS (SELECT sha256 FROM stored_document WHERE sha256 = ANY($1::text[])
                          ORDER BY sha256 FOR UPDATE),
                kept AS (UPDATE stored_document s SET kept_at = coalesce(s.kept_at, now())
                         FROM locked WHERE s.sha256 = locked.sha256 RETURNING 1)
           SELECT count(*) FROM kept""",
        sorted(set(sha256s)),
    )
    return kept


async def stale_documents(conn: asyncpg.Connection, leased_before: datetime,
                          limit: int) -> list[str]:
    """Unkept documents leased before ``leased_before``, locked (others' locks are skipped)."""
    rows = await conn.fetch(
        """SELECT sha256 FROM stored_document WHERE kept_at IS NULL AND staged_at < $1
           ORDER BY staged_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        leased_before, limit,
    )
    return [row["sha256"] for row in rows]


async def forget_documents(conn: asyncpg.Connection, sha256s: Sequence[str]) -> None:
    await conn.execute("DELETE FROM stored_document WHERE sha256 = ANY($1::text[])",
                       list(sha256s))


async def portal_bytes(conn: asyncpg.Connection, portal: str, day: date) -> int:
    used = await conn.fetchval(
        "SELECT bytes FROM portal_storage_day WHERE portal = $1 AND business_date = $2",
        portal, day)
    return int(used or 0)


async def add_portal_bytes(conn: asyncpg.Connection, portal: str, day: date,
                           size: int) -> int:
    """Count ``size`` more bytes for the portal's day; the day's total."""
    total: int = await conn.fetchval(
        """INSERT INTO portal_storage_day AS p (portal, business_date, bytes)
           VALUES ($1, $2, $3)
           ON CONFLICT (portal, business_date) DO UPDATE SET bytes = p.bytes + EXCLUDED.bytes
           RETURNING bytes""",
        portal, day, size)
    return total
