"""Kafka plumbing on FastStream: broker, explicit topics, and reliable consumers.

A consumer takes what the broker has in batches and handles a batch in one transaction, with
an inbox row per event; the offsets are committed only after that transaction commits
(FastStream acknowledges after the handler returns). One commit and one offset commit per batch
instead of per event is what lets a small machine keep up (issue 6). When any event of a batch
fails, none of the batch's effects stay and each event is handled alone instead: a failing
handler is retried with backoff a bounded number of times, then the message goes to
``<topic>.dlq`` with the error in its headers, and its neighbours are handled as usual.
"""

from __future__ import annotations

import asyncio
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import Counter
from pydantic import ValidationError

from shared.contracts.events import Envelope, Event
from shared.contracts.topics import dead_letter
from shared.runtime.outbox import UnitOfWork
from shared.runtime.settings import ServiceSettings

log = structlog.get_logger(__name__)

EVENTS_HANDLED = Counter("events_handled_total", "Events handled", ["consumer", "event_type"])
EVENTS_DUPLICATE = Counter("events_duplicate_total", "Redeliveries ignored", ["consumer"])
EVENTS_DEAD_LETTERED = Counter(
    "events_dead_lettered_total", "Messages sent to a dead-letter topic", ["consumer", "topic"]
)

Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]
"""``handler(event, envelope, uow)``: a use case run inside the consumer's transaction."""


class PermanentError(Exception):
    """An event that can never be handled (bad data): dead-letter it without retrying."""


def make_broker(settings: ServiceSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        client_id=settings.service_name,
        logger=structlog.get_logger("faststream"),
    )


async def provision_topics(settings: ServiceSettings, topics: list[str]) -> None:
    """Create the topics explicitly; an existing topic is left as it is."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=settings.service_name
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        for topic in missing:  # one at a time: a concurrent creator must not fail the rest
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            topic,
                            num_partitions=settings.topic_partitions,
                            replication_factor=settings.topic_replication_factor,
                        )
                    ]
                )
            except TopicAlreadyExistsError:
                pass
        if missing:
            log.info("topics created", topics=missing)
    finally:
        await admin.close()


async def start_subscribers_together(broker: KafkaBroker) -> None:
    """``broker.start()``, but every consumer group joins at the same time: FastStream starts
    subscribers one after another and each join waits for its assignment (about 5 s on Tansu),
    so a service with four groups took 20 s to start."""
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher_ in broker.publishers:
        await publisher_.start()
    broker.running = True


def publisher(broker: KafkaBroker) -> Callable[..., Awaitable[asyncio.Future[Any]]]:
    """The outbox relay's ``publish``: queue the record, return its acknowledgement future."""

    async def publish(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> Any:
        return await broker.publish(value, topic, key=key, headers=headers, no_confirm=True)

    return publish


def make_relay_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """The outbox relay's own producer: aiokafka without FastStream's per-message machinery,
    which cost more than the send itself. One in-flight batch per partition keeps order."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        client_id=f"{settings.service_name}-outbox-relay",
        linger_ms=2,  # a few ms to gather a relay batch into few requests
    )


def producer_publisher(producer: AIOKafkaProducer) -> Callable[..., Awaitable[Any]]:
    """``publish`` for the outbox relay on a raw aiokafka producer."""

    async def publish(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> Any:
        return await producer.send(topic, value, key=key,
                                   headers=[(k, v.encode()) for k, v in headers.items()])

    return publish


async def _raw_body(message: Any) -> bytes:
    body: bytes = message.body
    return body


def _typed(envelope: Envelope) -> Event | None:
    try:
        return envelope.event()
    except ValidationError as error:  # a known type with a payload that breaks its contract
        raise PermanentError(f"invalid {envelope.event_type} payload: {error}") from error


@contextmanager
def _logging_context(envelope: Envelope) -> Iterator[None]:
    structlog.contextvars.bind_contextvars(
        dossier_code=envelope.dossier_code,
        event_type=envelope.event_type,
        correlation_id=str(envelope.correlation_id),
    )
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars("dossier_code", "event_type", "correlation_id")


class EventConsumer:
    """One consumer group reading one or more topics, dispatching by topic and event type.

    A service reads all its topics through one group (one poll loop, one fetch per round and
    one transaction per batch, whatever mix of topics the batch holds) rather than one group
    per topic. Each topic keeps its own consumer name, ``<group>.<topic>``: it names the inbox
    rows, the metrics and a dead letter's ``x-dlq-consumer``, as when every topic had its own
    group. A handler keyed by the base class ``Event`` receives every type of its topic that
    has no handler of its own, including types this build does not know (``event`` is None).
    """

    def __init__(
        self,
        *,
        group: str,
        routes: Mapping[str, Mapping[type[Event], Handler]],
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        max_attempts: int = 5,
        backoff_s: float = 0.2,
        batch_size: int = 500,
        batch_wait_ms: int = 20,
        fetch_wait_ms: int = 500,
    ) -> None:
        if not routes:
            raise ValueError(f"consumer group {group!r} reads no topic")
        self.group = group
        self.topics = tuple(routes)
        self._batch_size = batch_size
        self._batch_wait_ms = batch_wait_ms  # an idle consumer polls this often
        self._fetch_wait_ms = fetch_wait_ms  # the broker holds an empty fetch this long
        self._routes = {
            topic: _Route(
                name=f"{group}.{topic}",
                by_type={m.type_name(): h for m, h in handlers.items() if m is not Event},
                any_type=handlers.get(Event),  # ``Event`` as a key handles every other type
            )
            for topic, handlers in routes.items()
        }
        self._pool = pool
        self._broker = broker
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s

    def consumer_name(self, topic: str) -> str:
        """The name of this group's consumer of ``topic`` (inbox, metrics, dead letters)."""
        return self._routes[topic].name

    def subscribe(self) -> None:
        subscriber = self._broker.subscriber(
            *self.topics,
            group_id=self.group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{self.group}:{','.join(self.topics)}",
            batch=True,
            max_records=self._batch_size,
            batch_timeout_ms=self._batch_wait_ms,
            fetch_max_wait_ms=self._fetch_wait_ms,
            decoder=_raw_body,  # envelopes are parsed by process_batch(), which dead-letters
        )

        @subscriber
        async def consume(bodies: list[bytes], message: KafkaMessage) -> None:
            await self.process_batch(message.raw_message)

    async def process_batch(self, records: Sequence[Any]) -> None:
        """Handle consumer records (in partition order) in one transaction; on any failure,
        handle them one by one with :meth:`process`, which retries and dead-letters."""
        wanted: list[tuple[Any, Envelope, Handler]] = []
        for record in records:
            try:
                envelope = Envelope.model_validate_json(record.value)
            except ValidationError:  # dead-lettered by process(), in its place in the stream
                wanted.clear()
                break
            handler = self._routes[record.topic].handler(envelope.event_type)
            if handler is not None:  # unknown or uninteresting types are ignored, by contract
                wanted.append((record, envelope, handler))
        else:
            if not wanted:
                return
            try:
                await self._handle_together(wanted)
                return
            except Exception as error:
                log.warning("batch failed, handling its events one by one",
                            consumer=self.group, size=len(wanted), error=repr(error))
        for record in [r for r, _, _ in wanted] or records:
            await self.process(record.value, record)

    async def _handle_together(self, batch: list[tuple[Any, Envelope, Handler]]) -> None:
        async with UnitOfWork(self._pool, producer=self.group) as uow:
            by_topic: dict[str, list[uuid.UUID]] = {}
            for record, envelope, _ in batch:
                by_topic.setdefault(record.topic, []).append(envelope.event_id)
            fresh = {(topic, event_id)
                     for topic, ids in by_topic.items()
                     for event_id in await uow.claim_many(self.consumer_name(topic), ids)}
            handled: list[tuple[str, Envelope]] = []
            for record, envelope, handler in batch:
                name = self.consumer_name(record.topic)
                if (record.topic, envelope.event_id) not in fresh:
                    EVENTS_DUPLICATE.labels(name).inc()
                    continue
                fresh.discard((record.topic, envelope.event_id))  # twice in a batch: once
                uow.cause = envelope
                with _logging_context(envelope):
                    await handler(_typed(envelope), envelope, uow)
                handled.append((name, envelope))
            await uow.commit()
        for name, envelope in handled:  # duplicates were counted as such, not as handled
            EVENTS_HANDLED.labels(name, envelope.event_type).inc()

    async def process(self, raw: bytes, message: Any) -> None:
        """Handle one record alone: bounded retries with backoff, then its dead-letter topic."""
        topic: str = message.topic
        try:
            envelope = Envelope.model_validate_json(raw)
        except ValidationError as error:
            await self._dead_letter(raw, message, error, attempts=1)
            return
        handler = self._routes[topic].handler(envelope.event_type)
        if handler is None:
            return  # unknown or uninteresting types are ignored, by contract
        with _logging_context(envelope):
            for attempt in range(1, self._max_attempts + 1):
                try:
                    await self._handle_once(self.consumer_name(topic), handler, envelope)
                    return
                except PermanentError as error:
                    await self._dead_letter(raw, message, error, attempts=attempt)
                    return
                except Exception as error:
                    if attempt == self._max_attempts:
                        await self._dead_letter(raw, message, error, attempts=attempt)
                        return
                    log.warning("handler failed, retrying", attempt=attempt, error=repr(error))
                    await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))

    async def _handle_once(self, name: str, handler: Handler, envelope: Envelope) -> None:
        event = _typed(envelope)
        async with UnitOfWork(self._pool, producer=self.group, cause=envelope) as uow:
            if not await uow.claim(name, envelope.event_id):
                EVENTS_DUPLICATE.labels(name).inc()
                return
            await handler(event, envelope, uow)
            await uow.commit()
        EVENTS_HANDLED.labels(name, envelope.event_type).inc()

    async def _dead_letter(
        self, raw: bytes, message: Any, error: BaseException, *, attempts: int
    ) -> None:
        await dead_letter_message(self._broker, consumer=self.consumer_name(message.topic),
                                  topic=message.topic, raw=raw, message=message, error=error,
                                  attempts=attempts)


@dataclass(frozen=True)
class _Route:
    """What a group does with one of its topics."""

    name: str
    by_type: Mapping[str, Handler]
    any_type: Handler | None

    def handler(self, event_type: str) -> Handler | None:
        return self.by_type.get(event_type, self.any_type)


async def dead_letter_message(
    broker: KafkaBroker, *, consumer: str, topic: str, raw: bytes, message: Any,
    error: BaseException, attempts: int,
) -> None:
    """Publish ``raw`` to ``<topic>.dlq`` with the cause in headers, keeping its key."""
    raw_message = getattr(message, "raw_message", message)  # a FastStream message or a record
    headers = {
        "x-dlq-error": f"{type(error).__name__}: {error}"[:2000],
        "x-dlq-error-type": type(error).__name__,
        "x-dlq-traceback": "".join(traceback.format_exception(error))[-4000:],
        "x-dlq-attempts": str(attempts),
        "x-dlq-consumer": consumer,
        "x-dlq-dead-lettered-at": str(time.time()),
        "x-original-topic": topic,
        "x-original-partition": str(getattr(raw_message, "partition", "")),
        "x-original-offset": str(getattr(raw_message, "offset", "")),
    }
    key = getattr(raw_message, "key", None)
    await broker.publish(raw, dead_letter(topic), key=key, headers=headers)
    EVENTS_DEAD_LETTERED.labels(consumer, topic).inc()
    log.error("message dead-lettered", consumer=consumer, topic=topic, dlq=dead_letter(topic),
              attempts=attempts, error=headers["x-dlq-error"])
