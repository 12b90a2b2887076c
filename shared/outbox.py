"""Unit of work with the transactional outbox and inbox, and the outbox relay.

A use case changes state and records events through one :class:`UnitOfWork`; both commit
in one transaction or neither does. The relay publishes recorded events in id order
(hence in order per dossier, since each dossier's events are keyed by its id) and marks
them sent. A crash between publish and mark republishes on restart: at-least-once, which
the consumers' inbox turns into exactly-once effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any

import asyncpg
import structlog

from shared.events import Envelope

log = structlog.get_logger(__name__)

_INSERT_OUTBOX = """INSERT INTO outbox_message (event_id, topic, key, payload, headers)
                    VALUES ($1, $2, $3, $4, $5)"""

Publish = Callable[[str, bytes, bytes, dict[str, str]], Awaitable["asyncio.Future[Any]"]]
"""``publish(topic, key, value, headers)`` → a future settled when the broker acknowledges."""


def outbox_row(topic: str, envelope: Envelope, *, key: uuid.UUID | None = None
               ) -> tuple[uuid.UUID, str, str, bytes, dict[str, str]]:
    """``(event_id, topic, key, payload, headers)`` of the outbox row of an event, as the
    relay reads it: keyed by the dossier unless told otherwise, the envelope as JSON, its
    type in the headers. For a writer that inserts its rows in a statement of its own."""
    return (
        envelope.event_id,
        topic,
        str(key or envelope.dossier_id),
        envelope.model_dump_json().encode(),
        {"event_type": envelope.event_type, "content-type": "application/json"},
    )


class UnitOfWork:
    """``async with UnitOfWork(pool) as uow:`` … ``await uow.commit()``; rolls back otherwise."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._committed = False
        self._recorded: list[tuple[Any, ...]] = []

    async def __aenter__(self) -> UnitOfWork:
        self._conn_cm = self._pool.acquire()
        self.conn: asyncpg.Connection = await self._conn_cm.__aenter__()
        self._tx = self.conn.transaction()
        await self._tx.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self._tx.rollback()
        finally:
            await self._conn_cm.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if self._recorded:
            # Written in one round trip, in the order recorded, inside the transaction.
            await self.conn.executemany(_INSERT_OUTBOX, self._recorded)
            self._recorded.clear()
        await self._tx.commit()
        self._committed = True

    async def record(self, topic: str, envelope: Envelope, *, key: uuid.UUID | None = None) -> None:
        """Add an event to the outbox, in this transaction. Key defaults to the dossier id.

        The row is written at :meth:`commit`, with every other event of the transaction."""
        self._recorded.append(outbox_row(topic, envelope, key=key))

    async def claim(self, consumer: str, event_id: uuid.UUID) -> bool:
        """Record ``event_id`` as processed by ``consumer``; False when it already was."""
        return event_id in await self.claim_many(consumer, [event_id])

    async def claim_many(self, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Record each event as processed by ``consumer``; return those that were not yet."""
        rows = await self.conn.fetch(
            """INSERT INTO inbox_message (consumer, event_id) SELECT $1, unnest($2::uuid[])
               ON CONFLICT DO NOTHING RETURNING event_id""",
            consumer,
            list(dict.fromkeys(event_ids)),
        )
        return {row["event_id"] for row in rows}


class OutboxRelay:
    """Publishes the outbox. One relay per database holds the lease (an advisory lock)."""

    LEASE_KEY = 0x6D6F_6301

    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
    ) -> None:
        self._pool = pool
        self._publish = publish
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self.holds_lease = False

    async def run(self) -> None:
        """Relay until cancelled; waits for the lease when another replica holds it."""
        while True:
            async with self._pool.acquire() as lease_conn:
                if await lease_conn.fetchval("SELECT pg_try_advisory_lock($1)", self.LEASE_KEY):
                    try:
                        await self._relay_while_leased(lease_conn)
                    finally:
                        self.holds_lease = False
                        with contextlib.suppress(Exception):
                            await lease_conn.execute(
                                "SELECT pg_advisory_unlock($1)", self.LEASE_KEY
                            )
            await asyncio.sleep(self._poll_interval_s)

    async def _relay_while_leased(self, lease_conn: asyncpg.Connection) -> None:
        self.holds_lease = True
        log.info("outbox relay holds the lease")

        def on_notify(*_: object) -> None:
            self._wake.set()

        await lease_conn.add_listener("outbox_message", on_notify)
        try:
            while True:
                if await self.relay_once() < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                    self._wake.clear()
        finally:
            await lease_conn.remove_listener("outbox_message", on_notify)

    async def relay_once(self) -> int:
        """Publish one batch of unsent events in order, then mark them; return its size."""
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT id, topic, key, payload, headers FROM outbox_message
                   WHERE sent_at IS NULL ORDER BY id LIMIT $1""",
                self._batch_size,
            )
            if not rows:
                return 0
            await self._publish_in_order(rows)
            await self.after_publish(rows)
            await conn.execute(
                "UPDATE outbox_message SET sent_at = now() WHERE id = any($1::bigint[])",
                [row["id"] for row in rows],
            )
        log.debug("outbox relayed", count=len(rows))
        return len(rows)

    async def _publish_in_order(self, rows: Sequence[asyncpg.Record]) -> None:
        # Sends are queued in id order before any acknowledgement is awaited: the producer
        # keeps that order per partition, and the batch travels in few round trips.
        pending = [
            await self._publish(
                row["topic"], row["key"].encode(), bytes(row["payload"]), dict(row["headers"])
            )
            for row in rows
        ]
        await asyncio.gather(*pending)

    async def after_publish(self, rows: Sequence[asyncpg.Record]) -> None:
        """Hook between publish and mark; tests use it to crash exactly there."""
