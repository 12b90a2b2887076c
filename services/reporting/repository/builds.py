"""The builds of the read model: one PostgreSQL schema each, and the pointer to the current."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import asyncpg

_NAME = re.compile(r"^rm_[a-z0-9_]+$")
_CREATE_LOCK = 0x7265_7001  # 'rep' 1: the first build is created once, whoever starts first


def new_schema_name(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    return f"rm_{moment}_{secrets.token_hex(3)}"


def checked(name: str) -> str:
    """``name`` as an SQL identifier, after checking it is one of ours."""
    if not _NAME.match(name):
        raise ValueError(f"not a read-model schema name: {name!r}")
    return name


async def create_build(conn: asyncpg.Connection, name: str, source: str) -> None:
    sql = (files("services.reporting.repository") / "read_model.sql").read_text("utf-8")
    async with conn.transaction():
        await conn.execute("INSERT INTO reporting_build (schema_name, source) VALUES ($1, $2)",
                           name, source)
        await conn.execute(sql.replace("{schema}", checked(name)))


async def ensure_current(pool: asyncpg.Pool) -> str:
    """The current build, created empty (live) the first time the service starts."""
    # A transaction-scoped lock: right behind a transaction pooler too (docs/deploy.md).
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _CREATE_LOCK)
        current = await conn.fetchval("SELECT schema_name FROM reporting_current")
        if current is None:
            current = new_schema_name()
            await create_build(conn, current, "live")
            await conn.execute(
                "INSERT INTO reporting_current (schema_name) VALUES ($1)", current)
        return str(current)


async def current(conn: asyncpg.Connection | asyncpg.Pool, *, share_lock: bool = False) -> str:
    """The schema queries read. With ``share_lock`` (a live event's transaction), a switch
    waits for the transaction, and the transaction for a switch in progress."""
    sql = "SELECT schema_name FROM reporting_current WHERE id = 1"
    name = await conn.fetchval(sql + (" FOR SHARE" if share_lock else ""))
    if name is None:
        raise LookupError("no read-model build yet: start the service once")
    return checked(str(name))


async def lock_current(conn: asyncpg.Connection) -> str:
    name = await conn.fetchval("SELECT schema_name FROM reporting_current WHERE id = 1 "
                               "FOR UPDATE")
    return checked(str(name))


async def switch(conn: asyncpg.Connection, name: str, events: int,
                 high_water_marks: dict[str, Any]) -> None:
    await conn.execute("UPDATE reporting_build SET completed_at = now(), events = $2, "
                       "high_water_marks = $3 WHERE schema_name = $1",
                       checked(name), events, high_water_marks)
    await conn.execute("UPDATE reporting_current SET schema_name = $1, switched_at = now() "
                       "WHERE id = 1", name)


async def drop_older(pool: asyncpg.Pool, keep: set[str]) -> list[str]:
    """Drop every build but ``keep`` (the current one and the one it replaced, which a query
    that read the pointer just before the switch may still be reading)."""
    names = [r["schema_name"] for r in await pool.fetch("SELECT schema_name FROM reporting_build")]
    dropped = []
    for name in names:
        if name in keep:
            continue
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(f"DROP SCHEMA IF EXISTS {checked(name)} CASCADE")
            await conn.execute("DELETE FROM reporting_build WHERE schema_name = $1", name)
        dropped.append(name)
    return dropped


async def builds(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM reporting_build ORDER BY created_at")
