"""The reliability plumbing on the real broker and database."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from confluent_kafka import Consumer as ConfluentConsumer
from confluent_kafka import TopicPartition
from faststream.kafka import KafkaBroker

from shared.contracts.events import DossierProcessingStarted, Envelope
from shared.runtime.broker import provision_topics, publisher
from shared.runtime.consumer import PermanentError
from shared.runtime.db import (
    SHARED_MIGRATIONS,
    MigrationError,
    create_pool,
    migrate,
    migration_files,
)
from shared.runtime.outbox import OutboxRelay, UnitOfWork
from shared.runtime.settings import ServiceSettings
from tests.messaging import Probe, event_consumer
from tests.messaging import record as fake_record
from tests.support import CuttableProxy, wait_until

pytestmark = pytest.mark.integration


def _settings(kafka_bootstrap: str) -> ServiceSettings:
    return ServiceSettings(service_name="test", kafka_bootstrap_servers=kafka_bootstrap)


def _envelope(dossier_id: uuid.UUID, n: int) -> Envelope:
    return Envelope.wrap(
        DossierProcessingStarted(dossier_code=f"T-{n}"), dossier_id=dossier_id, producer="test"
    )


@pytest.fixture
async def pool(database_url: str):
    await migrate(database_url, migration_files(SHARED_MIGRATIONS))
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


@pytest.fixture
async def broker(kafka_bootstrap: str):
    broker = KafkaBroker(kafka_bootstrap, acks="all")
    await broker.start()
    yield broker
    await broker.stop()


async def _new_topic(kafka_bootstrap: str) -> str:
    topic = f"test.{uuid.uuid4().hex[:10]}"
    await provision_topics(_settings(kafka_bootstrap), [topic, f"{topic}.dlq"])
    return topic


async def _read(kafka_bootstrap: str, topic: str, count: int) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        group_id=f"reader-{uuid.uuid4().hex[:6]}", enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []
    try:
        async with asyncio.timeout(30):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for partition_records in batch.values():
                    records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


async def test_concurrent_migrations_apply_each_file_once(database_url: str, tmp_path) -> None:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_thing.sql").write_text("CREATE TABLE thing (id int);")
    files = migration_files(SHARED_MIGRATIONS, tmp_path / "migrations")

    first, second = await asyncio.gather(migrate(database_url, files), migrate(database_url, files))

    assert sorted(first + second) == sorted(name for name, _ in files)
    assert not set(first) & set(second)
    assert await migrate(database_url, files) == []


async def test_a_changed_migration_is_refused(database_url: str, tmp_path) -> None:
    (tmp_path / "migrations").mkdir()
    path = tmp_path / "migrations" / "0001_thing.sql"
    path.write_text("CREATE TABLE thing (id int);")
    await migrate(database_url, migration_files(tmp_path / "migrations"))
    path.write_text("CREATE TABLE thing (id bigint);")

    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(database_url, migration_files(tmp_path / "migrations"))


async def test_events_are_not_recorded_when_the_transaction_rolls_back(pool) -> None:
    with pytest.raises(RuntimeError):
        async with UnitOfWork(pool, producer="test") as uow:
            uow.emit(Probe(on_topic="anything", dossier_code="T-1"), dossier_id=uuid.uuid4())
            raise RuntimeError("the use case failed")
    assert await pool.fetchval("SELECT count(*) FROM outbox_message") == 0


class _CrashAfterPublish(OutboxRelay):
    async def after_publish(self, rows) -> None:
        raise RuntimeError("crash between publish and mark")


async def test_relay_survives_a_crash_between_publish_and_mark_and_inbox_dedups(
    pool, broker, kafka_bootstrap: str
) -> None:
    topic = await _new_topic(kafka_bootstrap)
    dossier_id = uuid.uuid4()
    async with UnitOfWork(pool, producer="test") as uow:
        envelopes = [uow.emit(Probe(on_topic=topic, dossier_code=f"T-{n}"), dossier_id=dossier_id)
                     for n in range(3)]
        await uow.commit()

    with pytest.raises(RuntimeError, match="crash"):
        await _CrashAfterPublish(pool, publisher(broker)).relay_once()
    assert await pool.fetchval("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 3

    assert await OutboxRelay(pool, publisher(broker)).relay_once() == 3
    assert await pool.fetchval("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 0

    records = await _read(kafka_bootstrap, topic, 6)
    ids = [Envelope.model_validate_json(r.value).event_id for r in records]
    expected = [e.event_id for e in envelopes]
    assert ids == expected + expected, "published twice, in order, on one partition"
    assert {r.key for r in records} == {str(dossier_id).encode()}

    await pool.execute("CREATE TABLE effect (event_id uuid)")

    async def handler(event, envelope, uow) -> None:
        await uow.conn.execute("INSERT INTO effect VALUES ($1)", envelope.event_id)

    consumer = event_consumer("test-consumer", {topic: {Probe: handler}}, pool, broker)
    for record in records:
        await consumer.process(record)
    effects = await pool.fetch("SELECT event_id FROM effect")
    assert sorted(r["event_id"] for r in effects) == sorted(expected)


async def test_relay_lease_is_held_by_one_relay_at_a_time(pool, broker) -> None:
    first = OutboxRelay(pool, publisher(broker), poll_interval_s=0.05)
    second = OutboxRelay(pool, publisher(broker), poll_interval_s=0.05)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    try:
        await wait_until(lambda: first.holds_lease or second.holds_lease, timeout=10,
                         description="a relay takes the lease")
        assert first.holds_lease != second.holds_lease
        holder, other = (first, second) if first.holds_lease else (second, first)
        tasks[[first, second].index(holder)].cancel()
        await wait_until(lambda: other.holds_lease, timeout=10,
                         description="the other relay takes over the lease")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_failing_and_malformed_messages_are_dead_lettered_and_the_stream_flows(
    pool, kafka_bootstrap: str
) -> None:
    topic = await _new_topic(kafka_bootstrap)
    await pool.execute("CREATE TABLE handled (code text)")
    attempts: list[str] = []

    async def handler(event, envelope, uow) -> None:
        attempts.append(event.dossier_code)
        if event.dossier_code == "POISON":
            raise RuntimeError("cannot handle this one")
        if event.dossier_code == "BAD-DATA":
            raise PermanentError("bad data, do not retry")
        await uow.conn.execute("INSERT INTO handled VALUES ($1)", event.dossier_code)

    broker = KafkaBroker(kafka_bootstrap, acks="all")
    event_consumer("dlq-test", {topic: {DossierProcessingStarted: handler}}, pool, broker,
                   max_attempts=3, backoff_s=0.01).subscribe()
    await broker.start()
    try:
        dossier_id = uuid.uuid4()
        for code in ("POISON", "BAD-DATA"):
            envelope = Envelope.wrap(DossierProcessingStarted(dossier_code=code),
                                     dossier_id=dossier_id, producer="test")
            await broker.publish(envelope.model_dump_json().encode(), topic,
                                 key=str(dossier_id).encode())
        await broker.publish(b"{not json", topic, key=str(dossier_id).encode())
        good = Envelope.wrap(DossierProcessingStarted(dossier_code="GOOD"),
                             dossier_id=dossier_id, producer="test")
        await broker.publish(good.model_dump_json().encode(), topic, key=str(dossier_id).encode())

        async def good_handled() -> bool:
            return bool(await pool.fetchval("SELECT count(*) FROM handled WHERE code = 'GOOD'"))

        await wait_until(good_handled, timeout=30, description="the good message is handled")
        dead = await _read(kafka_bootstrap, f"{topic}.dlq", 3)
    finally:
        await broker.stop()

    headers = [dict(r.headers) for r in dead]
    assert [h["x-dlq-attempts"] for h in headers] == [b"3", b"1", b"1"]
    assert b"cannot handle this one" in headers[0]["x-dlq-error"]
    assert headers[1]["x-dlq-error-type"] == b"PermanentError"
    assert headers[2]["x-dlq-error-type"] == b"ValidationError"
    assert all(h["x-original-topic"] == topic.encode() for h in headers)
    # Three tries alone for the failing one, one alone for the bad one (never retried), each
    # after at most one with its batch: a fetch may split the records, and a batch that starts
    # with the bad one fails on it before its records are handled alone.
    assert attempts.count("POISON") in (3, 4) and attempts.count("BAD-DATA") in (1, 2)


async def test_inbox_ignores_a_redelivered_event(pool) -> None:
    event_id = uuid.uuid4()
    async with UnitOfWork(pool, producer="test") as uow:
        assert await uow.claim("c", event_id)
        await uow.commit()
    async with UnitOfWork(pool, producer="test") as uow:
        assert not await uow.claim("c", event_id)
        assert await uow.claim("another consumer", event_id)


async def test_migrations_make_the_outbox_notify(database_url: str) -> None:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS))
    conn = await asyncpg.connect(database_url)
    got = asyncio.Event()
    await conn.add_listener("outbox_message", lambda *_: got.set())
    pool = await create_pool(database_url)
    try:
        async with UnitOfWork(pool, producer="test") as uow:
            uow.emit(Probe(on_topic="t", dossier_code="T-1"), dossier_id=uuid.uuid4())
            await uow.commit()
        async with asyncio.timeout(5):
            await got.wait()
    finally:
        await pool.close()
        await conn.close()


async def test_one_group_reads_several_topics_each_with_its_own_handlers_and_inbox(
    pool, kafka_bootstrap: str
) -> None:
    """A service reads all its topics through one group: each topic keeps its own handlers,
    inbox name ``<group>.<topic>`` and dead-letter topic."""
    first, second = await _new_topic(kafka_bootstrap), await _new_topic(kafka_bootstrap)
    await pool.execute("CREATE TABLE routed (topic text, code text)")

    def recording(topic: str):
        async def handler(event, envelope, uow) -> None:
            if event.dossier_code == "POISON":
                raise PermanentError("bad data")
            await uow.conn.execute("INSERT INTO routed VALUES ($1, $2)", topic, event.dossier_code)
        return handler

    broker = KafkaBroker(kafka_bootstrap, acks="all")
    consumer = event_consumer(
        "multi", {first: {DossierProcessingStarted: recording(first)},
                  second: {DossierProcessingStarted: recording(second)}},
        pool, broker, max_attempts=1)
    consumer.subscribe()
    await broker.start()
    try:
        dossier_id = uuid.uuid4()
        sent = {first: ["A1", "A2", "POISON"], second: ["B1", "B2"]}
        for topic, codes in sent.items():
            for n, code in enumerate(codes):
                envelope = _envelope(dossier_id, n).model_copy(
                    update={"payload": {"dossier_code": code}, "dossier_code": code})
                await broker.publish(envelope.model_dump_json().encode(), topic,
                                     key=str(dossier_id).encode())

        async def all_handled() -> bool:
            return await pool.fetchval("SELECT count(*) FROM routed") == 4

        await wait_until(all_handled, timeout=30, description="both topics are handled")
        dead = await _read(kafka_bootstrap, f"{first}.dlq", 1)
    finally:
        await broker.stop()

    rows = await pool.fetch("SELECT topic, code FROM routed ORDER BY code")
    assert [(r["topic"], r["code"]) for r in rows] == [
        (first, "A1"), (first, "A2"), (second, "B1"), (second, "B2")]
    inbox = await pool.fetch("SELECT consumer, count(*) AS n FROM inbox_message "
                             "WHERE consumer LIKE 'multi.%' GROUP BY consumer ORDER BY consumer")
    assert {r["consumer"]: r["n"] for r in inbox} == {f"multi.{first}": 2, f"multi.{second}": 2}
    assert dict(dead[0].headers)["x-dlq-consumer"] == f"multi.{first}".encode()


async def _committed(kafka_bootstrap: str, group: str, topic: str) -> int:
    """How many records of ``topic`` the group has committed, over all partitions (asked
    through confluent-kafka: Tansu answers aiokafka's admin OffsetFetch in a form it misreads)."""

    def ask() -> int:
        consumer = ConfluentConsumer({"bootstrap.servers": kafka_bootstrap, "group.id": group,
                                      "enable.auto.commit": False})
        try:
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            committed = consumer.committed(
                [TopicPartition(topic, p) for p in partitions], timeout=10)
        finally:
            consumer.close()
        return sum(max(tp.offset, 0) for tp in committed)

    return await asyncio.to_thread(ask)


async def test_offsets_are_committed_only_after_the_handlers_transaction(
    pool, kafka_bootstrap: str
) -> None:
    topic = await _new_topic(kafka_bootstrap)
    await pool.execute("CREATE TABLE committed_effect (code text)")
    entered, release = asyncio.Event(), asyncio.Event()

    async def handler(event, envelope, uow) -> None:
        await uow.conn.execute("INSERT INTO committed_effect VALUES ($1)", event.dossier_code)
        entered.set()
        await release.wait()

    group = f"offsets-{uuid.uuid4().hex[:6]}"
    broker = KafkaBroker(kafka_bootstrap, acks="all")
    event_consumer(group, {topic: {DossierProcessingStarted: handler}}, pool, broker).subscribe()
    await broker.start()
    try:
        envelope = _envelope(uuid.uuid4(), 1)
        await broker.publish(envelope.model_dump_json().encode(), topic,
                             key=str(envelope.dossier_id).encode())
        async with asyncio.timeout(30):
            await entered.wait()
        # The handler is inside its transaction: nothing is committed, neither the effect
        # nor the offset (a crash now would hand the record over again).
        assert await pool.fetchval("SELECT count(*) FROM committed_effect") == 0
        assert await _committed(kafka_bootstrap, group, topic) == 0
        release.set()

        async def offset_committed() -> bool:
            return await _committed(kafka_bootstrap, group, topic) == 1

        await wait_until(offset_committed, timeout=30, description="the offset is committed")
        assert await pool.fetchval("SELECT count(*) FROM committed_effect") == 1
    finally:
        release.set()
        await broker.stop()



async def test_a_database_outage_makes_a_record_wait_instead_of_dead_lettering(
    pool, database_url: str
) -> None:
    """With the database unreachable for longer than the record's attempts would last, the
    record waits and is handled once the database is back; it is never dead-lettered (the
    consumer has no broker here, so dead-lettering would raise)."""
    await pool.execute("CREATE TABLE outlived (code text)")

    async def handler(event, envelope, uow) -> None:
        await uow.conn.execute("INSERT INTO outlived VALUES ($1)", event.dossier_code)

    url = urlsplit(database_url)
    proxy = CuttableProxy(url.hostname or "127.0.0.1", url.port or 5432)
    async with proxy as port:
        netloc = url.netloc.rsplit("@", 1)[0] + f"@127.0.0.1:{port}" if "@" in url.netloc \
            else f"127.0.0.1:{port}"
        through = await create_pool(url._replace(netloc=netloc).geturl(), min_size=1,
                                    max_size=2)
        try:
            consumer = event_consumer("outage-test",
                                      {"outage": {DossierProcessingStarted: handler}},
                                      through, None, max_attempts=2, backoff_s=0.01)
            envelope = _envelope(uuid.uuid4(), 7)
            proxy.cut()
            waiting = asyncio.create_task(consumer.process(
                fake_record("outage", envelope.model_dump_json().encode(), b"k")))
            await wait_until(lambda: proxy.dropped >= 5, timeout=30,
                             description="the consumer keeps trying through the outage")
            assert not waiting.done(), "the record gave up during the outage"
            proxy.restore()
            async with asyncio.timeout(30):
                await waiting
        finally:
            await through.close()
    assert await pool.fetchval("SELECT array_agg(code) FROM outlived") == ["T-7"]
