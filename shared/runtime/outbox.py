"""Unit of work with the transactional outbox and inbox, and the outbox relay.

A use case changes state and records events through one :class:`UnitOfWork`; both commit
in one transaction or neither does. The relay publishes recorded events in id order
(hence in order per dossier, since each dossier's events are keyed by its id) and marks
them sent. A crash between publish and mark republishes on restart: at-least-once, which
the consumers' inbox turns into exactly-once effects.

PostgreSQL is also the log of record when the broker is not durable (the embedded one keeps
everything in memory): published rows are kept for ``retention_s``, and a relay given a way to
read the broker's *incarnation* (:class:`BrokerIncarnation`, a marker the launcher writes after
each start of its broker) publishes every retained row again, in id order, when the broker it
sees is not the one it last published to. A durable broker (production Kafka) never gets a
marker, and the relay then never republishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import TracebackType
from typing import Any

import asyncpg
import structlog

from shared.contracts.events import Envelope, Event
from shared.runtime.db import Notifications
from shared.runtime.telemetry import inject_context

log = structlog.get_logger(__name__)

_INSERT_OUTBOX = """INSERT INTO outbox_message (event_id, topic, key, payload, headers)
                    VALUES ($1, $2, $3, $4, $5)"""

Publish = Callable[[str, bytes, bytes, dict[str, str]], Awaitable["asyncio.Future[Any]"]]
"""``publish(topic, key, value, headers)`` → a future settled when the broker acknowledges."""


OutboxRow = tuple[uuid.UUID, str, str, bytes, dict[str, str]]

BROKER_INCARNATION_TOPIC = "mot-cua.broker-incarnation"
"""One record: the id of the broker's current incarnation (written by deploy.local)."""

Incarnation = Callable[[], Awaitable[str | None]]
"""The broker's current incarnation id, or None when it has none (or cannot be read now)."""


def outbox_row(topic: str, envelope: Envelope, *, key: uuid.UUID | None = None) -> OutboxRow:
    """``(event_id, topic, key, payload, headers)`` of the outbox row of an event, as the
    relay reads it: keyed by the dossier unless told otherwise, the envelope as JSON, its
    type and the current trace context in the headers."""
    return (
        envelope.event_id,
        topic,
        str(key or envelope.dossier_id),
        envelope.model_dump_json().encode(),
        # The trace in force when the event was emitted (shared.runtime.telemetry): the relay
        # publishes these headers, and the consumer continues that trace.
        dict(inject_context({"event_type": envelope.event_type,
                             "content-type": "application/json"})),
    )


class Outbox:
    """Events on their way out, as outbox rows: :meth:`emit` builds each one's envelope (the
    topic from the event's class, the producer bound once by :class:`Transactions`,
    correlation and causation from ``cause``, the message being handled). A
    :class:`UnitOfWork` writes them at commit; a writer with a statement of its own
    (processing's transition) takes them with :meth:`take_rows` and writes them itself."""

    def __init__(self, *, producer: str, cause: Envelope | None = None) -> None:
        self.producer = producer
        self.cause = cause
        self._recorded: list[OutboxRow] = []

    def emit(
        self,
        event: Event,
        *,
        dossier_id: uuid.UUID | None = None,
        dossier_code: str | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        key: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """Add ``event`` to the outbox of this transaction, on its class's topic, keyed by its
        dossier. Without a message being handled (a drain, an HTTP request), name the dossier
        and, where the effect was caused by an event, its correlation and causation ids.
        ``event_id`` and ``occurred_at`` are for an event whose identity was fixed before
        (intake writes a dossier's first timeline entry before the dossier is numbered).

        The row is written at :meth:`commit` (or by :meth:`take_rows`' caller)."""
        cause = self.cause
        if dossier_id is None:
            if cause is None:
                raise ValueError(f"{event.type_name()} needs a dossier_id: nothing is handled")
            dossier_id = cause.dossier_id
        envelope = Envelope.wrap(
            event,
            dossier_id=dossier_id,
            producer=self.producer,
            dossier_code=dossier_code or getattr(event, "dossier_code", None),
            caused_by=cause if correlation_id is None and causation_id is None else None,
            correlation_id=correlation_id,
            causation_id=causation_id,
            event_id=event_id,
            occurred_at=occurred_at,
        )
        self._recorded.append(outbox_row(event.topic_name(), envelope, key=key))
        return envelope

    def take_rows(self) -> list[OutboxRow]:
        """The rows emitted and not yet written, handed to a writer that inserts them in a
        statement of its own (processing's single-statement transition); they are then not
        written again at commit."""
        rows, self._recorded = self._recorded, []
        return rows


class UnitOfWork(Outbox):
    """``async with UnitOfWork(pool, producer=...) as uow:`` … ``await uow.commit()``; rolls
    back otherwise.

    Events leave through :meth:`Outbox.emit` and are written in the transaction at
    :meth:`commit`; the shared consumer sets ``cause`` per message.
    """

    def __init__(self, pool: asyncpg.Pool, *, producer: str,
                 cause: Envelope | None = None) -> None:
        super().__init__(producer=producer, cause=cause)
        self._pool = pool
        self._committed = False

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
            # Written in one round trip, in the order emitted, inside the transaction.
            await self.conn.executemany(_INSERT_OUTBOX, self._recorded)
            self._recorded.clear()
        await self._tx.commit()
        self._committed = True

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


class Transactions:
    """The service's way into a unit of work, with its producer name bound once:
    ``async with deps.transactions() as uow``."""

    def __init__(self, pool: asyncpg.Pool, producer: str,
                 notifications: Notifications | None = None) -> None:
        self.pool = pool
        self.producer = producer
        self.notifications = notifications
        """The service's LISTEN connection (the side-effect loops wake on it); None outside
        a running service (a command, a test), where a drain listens on a pooled one."""

    def __call__(self, cause: Envelope | None = None) -> UnitOfWork:
        return UnitOfWork(self.pool, producer=self.producer, cause=cause)

    def outbox(self) -> Outbox:
        """Events to be written by a statement of the caller's own, outside a unit of work."""
        return Outbox(producer=self.producer)


class OutboxRelay:
    """Publishes the outbox. One relay per database holds the lease: a session advisory lock
    on a connection of the relay's own (``session``: :func:`shared.runtime.db.direct_session`
    in a service, straight to PostgreSQL; by default one taken from the pool, right only when
    the pool goes straight to PostgreSQL too). The same connection ``LISTEN``s for new rows.

    The connection is opened once and kept, a standby relay trying the lock on it every
    ``poll_interval_s``; when it is lost the lease is gone with it (PostgreSQL releases the
    lock of a closed session), so the relay stops publishing before it opens a new one and
    tries again. The batches themselves run on pooled connections, each statement standing
    alone: nothing of theirs lives on a session.

    Why a session lock and not ``pg_advisory_xact_lock`` per batch: the batch's transaction
    would then stay open across the broker's acknowledgement, and the lease would move from
    replica to replica at every batch; one kept connection per replica is cheaper."""

    LEASE_KEY = 0x6D6F_6301

    def __init__(
        self,
        pool: asyncpg.Pool,
        publish: Publish,
        *,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        incarnation: Incarnation | None = None,
        incarnation_check_s: float = 2.0,
        retention_s: float = 7 * 86400.0,
        session: Callable[[], AbstractAsyncContextManager[asyncpg.Connection]] | None = None,
        reconnect_s: float = 1.0,
    ) -> None:
        self._pool = pool
        self._publish = publish
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._wake = asyncio.Event()
        self.holds_lease = False
        self._incarnation = incarnation
        self._incarnation_check_s = incarnation_check_s
        self._retention_s = retention_s
        self._next_check = 0.0
        self._session = session or pool.acquire
        self._reconnect_s = reconnect_s
        self.republished = 0  # rows published again after broker resets, since start
        self.sessions = 0  # lease connections opened, since start

    async def run(self) -> None:
        """Relay until cancelled; waits for the lease when another replica holds it, and opens
        its connection again when it is lost (or anything else fails: the broker away)."""
        while True:
            try:
                async with self._session() as lease_conn:
                    self.sessions += 1
                    await self._lease_on(lease_conn)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox relay interrupted: starting again",
                            error=f"{type(error).__name__}: {error}")
            else:
                log.warning("outbox relay lost its lease connection: opening another")
            await asyncio.sleep(self._reconnect_s)

    async def _lease_on(self, lease_conn: asyncpg.Connection) -> None:
        def on_lost(_conn: object) -> None:
            self._wake.set()  # a relay waiting for rows notices at once

        lease_conn.add_termination_listener(on_lost)
        try:
            while not lease_conn.is_closed():
                if await lease_conn.fetchval("SELECT pg_try_advisory_lock($1)", self.LEASE_KEY):
                    try:
                        await self._relay_while_leased(lease_conn)
                    finally:
                        self.holds_lease = False
                        with contextlib.suppress(Exception):
                            await lease_conn.execute(
                                "SELECT pg_advisory_unlock($1)", self.LEASE_KEY
                            )
                    continue  # the lease ended with its connection: open another
                with contextlib.suppress(TimeoutError):  # a standby; woken if the connection
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)  # dies
                self._wake.clear()
        finally:
            lease_conn.remove_termination_listener(on_lost)

    async def _relay_while_leased(self, lease_conn: asyncpg.Connection) -> None:
        self.holds_lease = True
        log.info("outbox relay holds the lease")

        def on_notify(*_: object) -> None:
            self._wake.set()

        await lease_conn.add_listener("outbox_message", on_notify)
        try:
            while True:
                if lease_conn.is_closed():
                    return
                await self._check_incarnation_when_due()
                if await self.relay_once() < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
                    self._wake.clear()
        finally:
            with contextlib.suppress(Exception):
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

    async def _check_incarnation_when_due(self) -> None:
        loop = asyncio.get_running_loop()
        if self._incarnation is None or loop.time() < self._next_check:
            return
        self._next_check = loop.time() + self._incarnation_check_s
        try:
            await self.check_incarnation()
        except Exception:  # the broker or the database is away: try again at the next check
            log.warning("broker incarnation check failed", exc_info=True)

    async def check_incarnation(self) -> int:
        """Compare the broker's incarnation with the one last published to; on a change, mark
        every row sent within the retention window unsent again (they go out in id order with
        the next batches) and prune older sent rows. Returns how many rows will be
        republished."""
        if self._incarnation is None or (current := await self._incarnation()) is None:
            return 0
        async with self._pool.acquire() as conn, conn.transaction():
            seen = await conn.fetchval(
                "SELECT incarnation FROM outbox_broker_incarnation FOR UPDATE")
            if seen == current:
                return 0
            status = await conn.execute(
                """UPDATE outbox_message SET sent_at = NULL
                   WHERE sent_at > now() - make_interval(secs => $1)""", self._retention_s)
            await conn.execute(
                """DELETE FROM outbox_message
                   WHERE sent_at <= now() - make_interval(secs => $1)""", self._retention_s)
            await conn.execute(
                """INSERT INTO outbox_broker_incarnation (incarnation) VALUES ($1)
                   ON CONFLICT (singleton)
                   DO UPDATE SET incarnation = excluded.incarnation, seen_at = now()""",
                current)
        count = int(status.split()[-1])
        self.republished += count
        log.warning("broker incarnation changed: republishing retained events",
                    previous=seen, current=current, events=count)
        return count

    async def after_publish(self, rows: Sequence[asyncpg.Record]) -> None:
        """Hook between publish and mark; tests use it to crash exactly there."""


class BrokerIncarnation:
    """Reads the broker's incarnation marker (the last record of
    :data:`BROKER_INCARNATION_TOPIC`) with a consumer of its own, outside any group.
    ``await reader()`` is the relay's ``incarnation``; None while there is no marker.

    The relay awaits this in its loop every ``incarnation_check_s``, so it must not wait on
    the broker: its fetch waits 10 ms at most (``FETCH_WAIT_MS``), and the partition is paused
    between calls, so no fetch is left polling the idle topic. With aiokafka's default
    (500 ms) and the partition left assigned, each check took ~505 ms on the embedded broker:
    the relay stood still a quarter of the time, which was most of both relays' ~1 s p99
    (docs/benchmarks.md, change 8)."""

    FETCH_WAIT_MS = 10

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._consumer: Any = None

    async def __call__(self) -> str | None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap_servers, client_id=self._client_id,
                group_id=None, enable_auto_commit=False, request_timeout_ms=5000,
                fetch_max_wait_ms=self.FETCH_WAIT_MS)
            await self._consumer.start()
        consumer = self._consumer
        if BROKER_INCARNATION_TOPIC not in await consumer.topics():
            return None
        partition = TopicPartition(BROKER_INCARNATION_TOPIC, 0)
        consumer.assign([partition])
        consumer.resume(partition)
        try:
            end = (await consumer.end_offsets([partition]))[partition]
            if end == 0:
                return None
            consumer.seek(partition, end - 1)
            batch = await consumer.getmany(partition, timeout_ms=5000)
        finally:
            consumer.pause(partition)  # no fetch polls the topic until the next check
        records = batch.get(partition, [])
        if not records:
            return None
        marker: str = json.loads(records[-1].value)["incarnation"]
        return marker

    def polling(self) -> bool:
        """Whether the reader's consumer fetches between checks (it should not)."""
        consumer = self._consumer
        return consumer is not None and bool(set(consumer.assignment()) - consumer.paused())

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
