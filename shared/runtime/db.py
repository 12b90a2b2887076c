"""asyncpg pool and the migration runner.

Migrations are plain ``.sql`` files, applied in name order at start-up, each in its own
transaction, while a session advisory lock is held, so two replicas starting at once
apply each file exactly once. Applied files are recorded with a checksum; editing a file
that was already applied is refused rather than silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import structlog

from shared.runtime.settings import with_database

log = structlog.get_logger(__name__)

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x6D6F_6300  # 'moc' + 0: one lock per database, any service


class MigrationError(RuntimeError):
    pass


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10,
                      statement_cache_size: int = 100) -> asyncpg.Pool:
    """``statement_cache_size=0`` behind PgBouncer in transaction mode (docs/deploy.md)."""
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection,
        statement_cache_size=statement_cache_size,
    )
    assert pool is not None
    return pool


async def ensure_database(url: str) -> None:
    """Create the database ``url`` names when it does not exist yet (dev and tests)."""
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(with_database(url, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
                log.info("database created", database=name)
            except asyncpg.DuplicateDatabaseError:
                pass  # another replica won the race
    finally:
        await admin.close()


def migration_files(*folders: Path) -> list[tuple[str, str]]:
    """``(name, sql)`` of every migration, shared ones first; names are folder-qualified."""
    found: list[tuple[str, str]] = []
    for folder in folders:
        for path in sorted(folder.glob("*.sql")):
            found.append((f"{folder.parent.name}/{path.name}", path.read_text("utf-8")))
    return found


async def migrate(url: str, migrations: Iterable[tuple[str, str]]) -> list[str]:
    """Apply the migrations not applied yet; return the names applied by this call."""
    conn = await asyncpg.connect(url)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migration (
                   name text PRIMARY KEY,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = dict(await conn.fetch("SELECT name, checksum FROM schema_migration"))
        for name, sql in migrations:
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if name in done:
                if done[name] != checksum:
                    raise MigrationError(f"migration {name} was changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migration (name, checksum) VALUES ($1, $2)",
                    name,
                    checksum,
                )
            applied_now.append(name)
            log.info("migration applied", migration=name)
    finally:
        try:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        finally:
            await conn.close()
    return applied_now
