"""The machine's raw limits, measured in the same run: what the broker and the database can do
with nothing of ours in the way. Every figure of the scenarios is also given as a ratio to these.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.runtime.db import ensure_database
from shared.runtime.settings import with_database

PARTITIONS = 6  # as the system's topics
MESSAGE = b"x" * 1024  # about one envelope


async def kafka_produce_consume(bootstrap: str, messages: int) -> float:
    """Messages/s from the first send until a consumer has read them all (acks=all)."""
    topic = f"bench.limits.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek(partition, 0)

        async def consume_all() -> None:
            seen = 0
            while seen < messages:
                batch = await consumer.getmany(timeout_ms=200, max_records=5000)
                seen += sum(len(records) for records in batch.values())

        started = time.perf_counter()
        reading = asyncio.create_task(consume_all())
        acks = [await producer.send(topic, MESSAGE, key=str(i % 997).encode())
                for i in range(messages)]
        await asyncio.gather(*acks)
        await asyncio.wait_for(reading, 120)
        return messages / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()


async def _commit_loop(conn: asyncpg.Connection, until: float) -> int:
    commits = 0
    while time.perf_counter() < until:
        await conn.execute("INSERT INTO commit_probe (payload) VALUES ('x')")
        commits += 1
    return commits


async def postgres_commits(server_url: str, connections: int, seconds: float) -> float:
    """Commits/s of one-row INSERTs in autocommit, each of ``connections`` in a tight loop."""
    url = with_database(server_url, "bench_limits")
    await ensure_database(url)
    conns = [await asyncpg.connect(url) for _ in range(connections)]
    try:
        await conns[0].execute(
            "CREATE TABLE IF NOT EXISTS commit_probe (id bigserial PRIMARY KEY, payload text)"
        )
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        counts = await asyncio.gather(*(_commit_loop(c, until) for c in conns))
        return sum(counts) / (time.perf_counter() - started)
    finally:
        for conn in conns:
            await conn.close()


async def measure(bootstrap: str, server_url: str, *, kafka_messages: int = 20_000,
                  seconds: float = 3.0, concurrency: int = 16) -> dict[str, float]:
    return {
        "kafka_msgs_per_s": await kafka_produce_consume(bootstrap, kafka_messages),
        "pg_single_commits_per_s": await postgres_commits(server_url, 1, seconds),
        "pg_concurrent_commits_per_s": await postgres_commits(server_url, concurrency, seconds),
        "pg_concurrency": concurrency,
    }
