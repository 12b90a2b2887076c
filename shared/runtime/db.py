"""asyncpg pool, the direct connections for session-scoped work, and the migration runner.

Two kinds of connection (docs/deploy.md, "PostgreSQL behind PgBouncer"):

- the **pool** (``DATABASE_URL``, possibly through PgBouncer in transaction mode) carries
  transaction-scoped work only: every statement either runs in a transaction or stands
  alone, and nothing is left on the session when the connection goes back (so the pool need
  not run asyncpg's reset query on release);
- **direct** connections (``DATABASE_DIRECT_URL``, straight to PostgreSQL) carry what lives on
  a session: the outbox relay's lease (a session advisory lock, see
  :class:`shared.runtime.outbox.OutboxRelay`) and the ``LISTEN`` wake-ups
  (:class:`Notifications`), each opened once and re-opened after a loss.

Migrations are plain ``.sql`` files, applied in name order at start-up, each in its own
transaction holding a transaction-scoped advisory lock, so two replicas starting at once
apply each file exactly once (whatever pooler stands between). Applied files are recorded
with a checksum; editing a file that was already applied is refused rather than silently
ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager
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


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset hook when nothing session-scoped is done on pooled connections:
    asyncpg still rolls back an open transaction and drops listeners first (its private
    ``_reset``), only the ``RESET ALL; UNLISTEN *; …`` round trip is saved."""


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10,
                      statement_cache_size: int = 100, reset: bool = True) -> asyncpg.Pool:
    """``statement_cache_size=0`` behind PgBouncer in transaction mode (docs/deploy.md);
    ``reset=False`` skips asyncpg's reset query on release (``ServiceSettings.pool_options``
    gives both from the settings)."""
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection,
        statement_cache_size=statement_cache_size, reset=None if reset else _keep_session,
    )
    assert pool is not None
    return pool


Session = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]
"""Opens a connection for session-scoped work, closed (or given back) at the block's end."""


def direct_session(url: str, name: str, *, timeout_s: float = 10.0) -> Session:
    """A :data:`Session` opening a connection of its own to ``url`` (straight to PostgreSQL,
    never through a transaction pooler), shown as ``name`` in ``pg_stat_activity``'s
    ``application_name`` (``intake-relay-lease``, ``intake-listen``)."""

    @contextlib.asynccontextmanager
    async def session() -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(url, timeout=timeout_s,
                                     server_settings={"application_name": name})
        try:
            yield conn
        finally:
            with contextlib.suppress(Exception):
                await conn.close(timeout=timeout_s)

    return session


Wake = Callable[[], None]


class Notifications:
    """The service's ``LISTEN`` connection: one direct connection for every channel, opened on
    the first :meth:`listen`, re-opened after a loss (each ``reconnect_s`` while the database
    is away). Each registered ``wake`` is called on a ``NOTIFY`` of its channel, and once more
    after every (re)connection, since notifications sent while it was down are lost; the
    listeners poll as a fallback, so a missed one only delays them.

    Pooled connections never ``LISTEN``: behind a transaction pooler the registration would
    stay on whichever server connection ran it, and asyncpg's reset would undo it on every
    release otherwise."""

    def __init__(self, session: Session, *, reconnect_s: float = 1.0) -> None:
        self._session = session
        self._reconnect_s = reconnect_s
        self._wakes: dict[str, list[Wake]] = {}
        self._conn: asyncpg.Connection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self.connections = 0  # how many times the connection was opened, since start

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def listen(self, channel: str, wake: Wake) -> None:
        """Call ``wake`` on each ``NOTIFY channel`` (and after each reconnection)."""
        first = channel not in self._wakes
        self._wakes.setdefault(channel, []).append(wake)
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_open(), name="pg-notifications")
        elif first and self.connected:
            assert self._conn is not None
            with contextlib.suppress(Exception):  # lost meanwhile: the keeper listens again
                await self._conn.add_listener(channel, self._dispatch)

    async def unlisten(self, channel: str, wake: Wake) -> None:
        wakes = self._wakes.get(channel, [])
        if wake in wakes:
            wakes.remove(wake)
        if not wakes and self._wakes.pop(channel, None) is not None and self.connected:
            assert self._conn is not None
            with contextlib.suppress(Exception):
                await self._conn.remove_listener(channel, self._dispatch)

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
            self._keeper = None

    def _dispatch(self, _conn: object, _pid: int, channel: str, _payload: object) -> None:
        for wake in list(self._wakes.get(channel, ())):
            wake()

    def _wake_all(self) -> None:
        for wakes in list(self._wakes.values()):
            for wake in list(wakes):
                wake()

    async def _keep_open(self) -> None:
        while True:
            try:
                async with self._session() as conn:
                    lost = asyncio.Event()

                    def on_lost(_conn: object, lost: asyncio.Event = lost) -> None:
                        lost.set()

                    conn.add_termination_listener(on_lost)
                    try:
                        for channel in list(self._wakes):
                            await conn.add_listener(channel, self._dispatch)
                        self._conn = conn
                        self.connections += 1
                        log.info("listening for notifications", channels=sorted(self._wakes))
                        self._wake_all()  # what was notified while down is handled now
                        await lost.wait()
                    finally:
                        self._conn = None
                        conn.remove_termination_listener(on_lost)
                log.warning("notification connection lost: reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("notification connection unavailable: polling meanwhile",
                            error=f"{type(error).__name__}: {error}")
            await asyncio.sleep(self._reconnect_s)


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
    # Every step is one transaction holding a transaction-scoped lock (never a session lock,
    # which a transaction pooler would leave on whichever server connection took it): a
    # replica waits for the other's file, then sees it applied.
    conn = await asyncpg.connect(url, statement_cache_size=0)
    applied_now: list[str] = []
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migration (
                       name text PRIMARY KEY,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
        for name, sql in migrations:
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                done = await conn.fetchval(
                    "SELECT checksum FROM schema_migration WHERE name = $1", name)
                if done is not None:
                    if done != checksum:
                        raise MigrationError(
                            f"migration {name} was changed after it was applied")
                    continue
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migration (name, checksum) VALUES ($1, $2)",
                    name,
                    checksum,
                )
            applied_now.append(name)
            log.info("migration applied", migration=name)
    finally:
        await conn.close()
    return applied_now
