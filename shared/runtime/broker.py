"""The broker: FastStream's client, explicit topic creation, and the outbox relay's producer.

Consumers are in shared.runtime.consumer; dead letters in shared.runtime.dlq.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from shared.runtime.settings import ServiceSettings
from shared.runtime.telemetry import telemetry_middleware

log = structlog.get_logger(__name__)

def make_broker(settings: ServiceSettings) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        client_id=settings.service_name,
        logger=structlog.get_logger("faststream"),
        middlewares=(telemetry_middleware(),),  # traces; aiokafka's own would trace twice
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
