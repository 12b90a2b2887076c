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
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.contracts.topics import (
    DOSSIER_EVENTS,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    POSTAL_EVENTS,
)
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
        security=faststream_security(settings.kafka_security),
        middlewares=(telemetry_middleware(),),  # traces; aiokafka's own would trace twice
    )


EVENT_TOPICS = (DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS, NOTIFICATION_EVENTS)
"""The system's memory: reporting rebuilds its read model from their earliest offset."""


def topic_configs(settings: ServiceSettings, topic: str) -> dict[str, str]:
    """An event topic's retention, set explicitly (``EVENT_TOPIC_RETENTION_MS``, -1 keeps
    every event); other topics keep the broker's defaults."""
    if topic in EVENT_TOPICS:
        return {"retention.ms": str(settings.event_topic_retention_ms)}
    return {}


def faststream_security(args: dict[str, Any]) -> BaseSecurity | None:
    """FastStream's spelling of aiokafka's security arguments (``ServiceSettings.
    kafka_security``): FastStream takes a security object, not the keywords."""
    protocol = args["security_protocol"]
    if protocol == "PLAINTEXT":
        return None
    ssl = args.get("ssl_context")
    if not protocol.startswith("SASL_"):
        return BaseSecurity(ssl_context=ssl, use_ssl=True)
    kinds = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256,
             "PLAIN": SASLPlaintext}
    return kinds[args["sasl_mechanism"]](
        args["sasl_plain_username"], args["sasl_plain_password"], ssl_context=ssl,
        use_ssl=protocol == "SASL_SSL")


async def provision_topics(settings: ServiceSettings, topics: list[str]) -> None:
    """Create the topics explicitly; an existing topic is left as it is. Nothing when
    ``KAFKA_CREATE_TOPICS`` is off: a provisioning step owns the topics (deploy/kafka)."""
    if not settings.kafka_create_topics:
        return
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id=settings.service_name,
        **settings.kafka_security,
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
                            topic_configs=topic_configs(settings, topic),
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
        **settings.kafka_security,
    )


def producer_publisher(producer: AIOKafkaProducer) -> Callable[..., Awaitable[Any]]:
    """``publish`` for the outbox relay on a raw aiokafka producer."""

    async def publish(topic: str, key: bytes, value: bytes, headers: dict[str, str]) -> Any:
        return await producer.send(topic, value, key=key,
                                   headers=[(k, v.encode()) for k, v in headers.items()])

    return publish
