"""Batch consumption (issue 6) keeps every guarantee of one-event-at-a-time consumption:
one transaction per batch, the inbox still dedups, and a poison event is dead-lettered while its
neighbours are handled exactly once. Records come from the real broker, effects land in the
real database."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from shared.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.events import DossierProcessingStarted, Envelope
from shared.messaging import EventConsumer, provision_topics
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str):
    await migrate(database_url, migration_files(SHARED_MIGRATIONS))
    pool = await create_pool(database_url)
    await pool.execute("CREATE TABLE effect (code text NOT NULL)")
    yield pool
    await pool.close()


@pytest.fixture
async def broker(kafka_bootstrap: str):
    broker = KafkaBroker(kafka_bootstrap, acks="all")
    await broker.start()
    yield broker
    await broker.stop()


async def _published(broker: KafkaBroker, kafka_bootstrap: str, codes: list[str]
                     ) -> tuple[str, list]:
    """Publish one event per code for one dossier; return the topic and its records."""
    topic = f"test.batch.{uuid.uuid4().hex[:10]}"
    await provision_topics(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap),
                           [topic, f"{topic}.dlq"])
    key = str(uuid.uuid4()).encode()
    for code in codes:
        envelope = Envelope.wrap(DossierProcessingStarted(dossier_code=code),
                                 dossier_id=uuid.UUID(key.decode()), producer="test")
        await broker.publish(envelope.model_dump_json().encode(), topic, key=key)
    return topic, await _read(kafka_bootstrap, topic, len(codes))


async def _read(kafka_bootstrap: str, topic: str, count: int) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=f"reader-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    records: list = []
    try:
        async with asyncio.timeout(30):
            while len(records) < count:
                for partition_records in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def test_a_batch_is_one_transaction_and_a_redelivered_batch_changes_nothing(
    pool, broker, kafka_bootstrap: str
) -> None:
    codes = [f"D-{n}" for n in range(5)]
    topic, records = await _published(broker, kafka_bootstrap, codes)
    transactions: set[int] = set()

    async def handler(event, envelope, uow) -> None:
        transactions.add(id(uow))
        await uow.conn.execute("INSERT INTO effect VALUES ($1)", event.dossier_code)

    consumer = EventConsumer(name="batch", topic=topic, pool=pool, broker=broker,
                             handlers={DossierProcessingStarted: handler})
    await consumer.process_batch(records)
    await consumer.process_batch(records)  # the offsets were not committed: it comes again

    assert len(transactions) == 1
    assert [r["code"] for r in await pool.fetch("SELECT code FROM effect")] == codes


async def test_a_poison_event_is_dead_lettered_and_its_neighbours_are_handled_once(
    pool, broker, kafka_bootstrap: str
) -> None:
    topic, records = await _published(broker, kafka_bootstrap, ["GOOD-1", "POISON", "GOOD-2"])
    calls: list[str] = []

    async def handler(event, envelope, uow) -> None:
        calls.append(event.dossier_code)
        await uow.conn.execute("INSERT INTO effect VALUES ($1)", event.dossier_code)
        if event.dossier_code == "POISON":
            raise ValueError("cannot handle this one")

    consumer = EventConsumer(name="batch", topic=topic, pool=pool, broker=broker,
                             max_attempts=2, backoff_s=0.01,
                             handlers={DossierProcessingStarted: handler})
    await consumer.process_batch(records)

    assert [r["code"] for r in await pool.fetch("SELECT code FROM effect")] == ["GOOD-1", "GOOD-2"]
    assert calls == ["GOOD-1", "POISON", "GOOD-1", "POISON", "POISON", "GOOD-2"]
    [dead] = await _read(kafka_bootstrap, f"{topic}.dlq", 1)
    headers = dict(dead.headers)
    assert dead.value == records[1].value and dead.key == records[1].key
    assert headers["x-dlq-attempts"] == b"2"
    assert headers["x-original-offset"] == str(records[1].offset).encode()
