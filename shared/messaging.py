"""Kafka plumbing on FastStream: broker, explicit topics, and reliable consumers.

A consumer handles each event in one transaction with its inbox row; the offset is
committed only after that transaction commits (FastStream acknowledges after the handler
returns). A failing handler is retried with backoff a bounded number of times, then the
message goes to ``<topic>.dlq`` with the error in its headers and the stream moves on.
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import Counter
from pydantic import ValidationError

from shared.events import Envelope, Event
from shared.outbox import UnitOfWork
from shared.settings import ServiceSettings
from shared.topics import dead_letter

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


def publisher(broker: KafkaBroker) -> Callable[..., Awaitable[asyncio.Future[Any]]]:
    """The outbox relay's ``publish``: queue the record, return its acknowledgement future."""

    async def publish(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> Any:
        return await broker.publish(value, topic, key=key, headers=headers, no_confirm=True)

    return publish


async def _raw_body(message: Any) -> bytes:
    body: bytes = message.body
    return body


class EventConsumer:
    """Subscribes one consumer group to one topic and dispatches by event type.

    A handler keyed by the base class ``Event`` receives every type that has no handler of
    its own, including types this build does not know (then ``event`` is ``None``).
    """

    def __init__(
        self,
        *,
        name: str,
        topic: str,
        handlers: Mapping[type[Event], Handler],
        pool: asyncpg.Pool,
        broker: KafkaBroker,
        max_attempts: int = 5,
        backoff_s: float = 0.2,
    ) -> None:
        self.name = name
        self.topic = topic
        self._handlers = {m.type_name(): h for m, h in handlers.items() if m is not Event}
        self._any_type = handlers.get(Event)  # ``Event`` as a key handles every other type
        self._pool = pool
        self._broker = broker
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s

    def subscribe(self) -> None:
        subscriber = self._broker.subscriber(
            self.topic,
            group_id=self.name,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{self.name}:{self.topic}",
            decoder=_raw_body,  # envelopes are parsed by process(), which dead-letters bad ones
        )

        @subscriber
        async def consume(body: bytes, message: KafkaMessage) -> None:
            await self.process(body, message)

    async def process(self, raw: bytes, message: Any) -> None:
        try:
            envelope = Envelope.model_validate_json(raw)
        except ValidationError as error:
            await self._dead_letter(raw, message, error, attempts=1)
            return
        handler = self._handlers.get(envelope.event_type, self._any_type)
        if handler is None:
            return  # unknown or uninteresting types are ignored, by contract
        structlog.contextvars.bind_contextvars(
            dossier_code=envelope.dossier_code,
            event_type=envelope.event_type,
            correlation_id=str(envelope.correlation_id),
        )
        try:
            for attempt in range(1, self._max_attempts + 1):
                try:
                    await self._handle_once(handler, envelope)
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
        finally:
            structlog.contextvars.unbind_contextvars("dossier_code", "event_type", "correlation_id")

    async def _handle_once(self, handler: Handler, envelope: Envelope) -> None:
        try:
            event = envelope.event()
        except ValidationError as error:  # a known type with a payload that breaks its contract
            raise PermanentError(f"invalid {envelope.event_type} payload: {error}") from error
        async with UnitOfWork(self._pool) as uow:
            if not await uow.claim(self.name, envelope.event_id):
                EVENTS_DUPLICATE.labels(self.name).inc()
                return
            await handler(event, envelope, uow)
            await uow.commit()
        EVENTS_HANDLED.labels(self.name, envelope.event_type).inc()

    async def _dead_letter(
        self, raw: bytes, message: Any, error: BaseException, *, attempts: int
    ) -> None:
        await dead_letter_message(self._broker, consumer=self.name, topic=self.topic, raw=raw,
                                  message=message, error=error, attempts=attempts)


async def dead_letter_message(
    broker: KafkaBroker, *, consumer: str, topic: str, raw: bytes, message: Any,
    error: BaseException, attempts: int,
) -> None:
    """Publish ``raw`` to ``<topic>.dlq`` with the cause in headers, keeping its key."""
    raw_message = getattr(message, "raw_message", None)
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
