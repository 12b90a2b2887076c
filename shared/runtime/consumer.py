"""The one way a service consumes Kafka: a subscription, its batch hook, and the consumer loop.

A :class:`Subscription` names a consumer group and a :class:`BatchHook`, which says how to
``decode`` a record, how to handle many records at once (``handle_many``: one transaction for
a whole batch, which is what lets a small machine keep up) and how to handle one alone
(``handle_one``). The :class:`Consumer` owns everything else, for every hook alike:

- a batch is handled together first; when that fails, or a record cannot be decoded, the
  records concerned are handled one by one instead, each key's records in their order (from a
  key's first record handled alone on, the rest of that key follows it alone);
- a record handled alone is retried with exponential backoff a bounded number of times; an
  error that can never succeed on retry (:func:`is_permanent`) is not retried;
- then the record goes to ``<topic>.dlq`` with the cause in its headers (shared.runtime.dlq),
  and its neighbours are handled as usual;
- the batch's offsets are committed only once the hook has returned (FastStream acknowledges
  after the subscriber returns), so a crash hands the batch over again;
- each partition's lag is measured after each batch (shared.runtime.metrics), and a record
  handled alone runs in a CONSUMER span continuing the trace its headers carry
  (shared.runtime.telemetry; a batch is traced by FastStream's middleware, and the event
  hook opens each record's span inside it).

Two hooks exist: :class:`shared.runtime.events.EventHandling` (envelopes, dispatched by type
to the service's handlers with the inbox) and intake's portal ingress.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.runtime.dlq import dead_letter
from shared.runtime.metrics import measure_lag
from shared.runtime.telemetry import record_span

log = structlog.get_logger(__name__)

T = TypeVar("T")


class PermanentError(Exception):
    """A record that can never be handled (bad data): dead-letter it without retrying."""


def is_permanent(error: BaseException) -> bool:
    """Errors that no retry can mend: bad data, not a passing outage. A ValueError (pydantic's
    ValidationError and UnicodeError among them) says the input is wrong; a RecursionError,
    that it is nested too deep; PostgreSQL's data errors, that it does not fit a column."""
    return isinstance(error, PermanentError | ValueError | RecursionError | asyncpg.DataError)


# The database is away, not the record at fault: a refused or dropped connection, a server
# shutting down or starting up, no connection slot left. A record meeting one of these waits
# for the database instead of spending its attempts, so an outage dead-letters nothing.
_OUTAGES = (OSError, asyncpg.PostgresConnectionError, asyncpg.exceptions.AdminShutdownError,
            asyncpg.exceptions.CrashShutdownError, asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.TooManyConnectionsError)
OUTAGE_BACKOFF_MAX_S = 5.0


def is_outage(error: BaseException) -> bool:
    """Errors that say a dependency is unreachable (see ``_OUTAGES``), not that the input is
    wrong: the record is tried again, without limit, once the dependency is back."""
    return isinstance(error, _OUTAGES)


class BatchHook(Protocol[T]):
    """What a subscription does with its records (aiokafka ``ConsumerRecord``s)."""

    topics: Sequence[str]

    def consumer_name(self, topic: str) -> str:
        """Names the consumer of ``topic`` in metrics and in a dead letter's headers."""
        ...

    def decode(self, record: Any) -> T | None:
        """The record's meaning, or None when it is not for this consumer (skipped). Raising
        sends the record alone, where it is retried or dead-lettered."""
        ...

    async def handle_many(self, batch: Sequence[tuple[Any, T]]) -> Sequence[Any]:
        """Handle decoded records together; return those left to be handled alone (for each
        key, a suffix of its records). Raising hands every record of ``batch`` over alone."""
        ...

    async def handle_one(self, record: Any, item: T) -> None:
        """Handle one record alone; raising retries it, then dead-letters it."""
        ...


@dataclass(frozen=True)
class Subscription(Generic[T]):
    """A consumer group and what it does with its records."""

    group: str
    hook: BatchHook[T]
    batch_size: int = 500
    batch_wait_ms: int = 20  # an idle consumer polls this often
    alone_concurrency: int = 1  # keys handled alone at once (each key stays in order)


async def _raw_body(message: Any) -> bytes:
    body: bytes = message.body
    return body


class Consumer(Generic[T]):
    """Runs one :class:`Subscription` on the broker."""

    def __init__(self, subscription: Subscription[T], broker: KafkaBroker, *,
                 max_attempts: int = 5, backoff_s: float = 0.2,
                 fetch_wait_ms: int = 500, session_timeout_ms: int = 10_000) -> None:
        self.subscription = subscription
        self.hook = subscription.hook
        self._broker = broker
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._fetch_wait_ms = fetch_wait_ms  # the broker holds an empty fetch this long
        self._session_timeout_ms = session_timeout_ms

    def subscribe(self) -> None:
        s = self.subscription
        subscriber = self._broker.subscriber(
            *self.hook.topics,
            group_id=s.group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{s.group}:{','.join(self.hook.topics)}",
            batch=True,
            max_records=s.batch_size,
            batch_timeout_ms=s.batch_wait_ms,
            fetch_max_wait_ms=self._fetch_wait_ms,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._session_timeout_ms // 3,
            decoder=_raw_body,  # records are decoded by the hook, which may dead-letter them
        )

        @subscriber
        async def consume(bodies: list[bytes], message: KafkaMessage) -> None:
            await self.process_batch(message.raw_message)
            measure_lag(subscriber.consumer, s.group, message.raw_message)

    async def process_batch(self, records: Sequence[Any]) -> None:
        """Handle records (in partition order) together, and what is left one by one."""
        together: list[tuple[Any, T]] = []
        alone_keys: set[Any] = set()
        alone: list[Any] = []  # in partition order
        for record in records:
            if record.key in alone_keys:
                alone.append(record)
                continue
            try:
                item = self.hook.decode(record)
            except Exception:  # decoded again alone, where it is retried or dead-lettered
                alone_keys.add(record.key)
                alone.append(record)
                continue
            if item is not None:
                together.append((record, item))
        left: Sequence[Any] = ()
        if together:
            try:
                left = await self.hook.handle_many(together)
            except Exception as error:
                log.warning("batch failed, handling its records one by one",
                            consumer=self.subscription.group, size=len(together),
                            error=repr(error))
                left = [record for record, _ in together]
        chosen = {id(r) for r in (*left, *alone)}
        by_key: dict[Any, list[Any]] = {}
        for record in records:
            if id(record) in chosen:
                by_key.setdefault(record.key, []).append(record)
        if by_key:
            await self._handle_alone(list(by_key.values()))

    async def _handle_alone(self, keys: list[list[Any]]) -> None:
        room = asyncio.Semaphore(self.subscription.alone_concurrency)

        async def in_order(same_key: list[Any]) -> None:
            async with room:
                for record in same_key:
                    await self.process(record)

        await asyncio.gather(*(in_order(same_key) for same_key in keys))

    async def process(self, record: Any) -> None:
        """Handle one record alone: bounded retries with backoff, then its dead-letter topic.
        Through a database outage the record waits (its partition with it) and spends no
        attempt: it is dead-lettered for what it is, never for when it came."""
        attempt = waited = 0
        while True:
            try:
                with record_span(record, self.hook.consumer_name(record.topic)):
                    item = self.hook.decode(record)
                    if item is not None:
                        await self.hook.handle_one(record, item)
                return
            except Exception as error:
                if is_outage(error):
                    waited += 1
                    log.warning("database unreachable, the record waits",
                                consumer=self.subscription.group, waited=waited,
                                error=repr(error))
                    await asyncio.sleep(min(self._backoff_s * 2 ** min(waited - 1, 10),
                                            OUTAGE_BACKOFF_MAX_S))
                    continue
                attempt += 1
                if is_permanent(error) or attempt == self._max_attempts:
                    await dead_letter(self._broker, record, error, attempts=attempt,
                                      consumer=self.hook.consumer_name(record.topic))
                    return
                log.warning("record failed, retrying", consumer=self.subscription.group,
                            attempt=attempt, error=repr(error))
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
