"""``python -m deploy.ops`` on the real broker and PostgreSQL: dead letters listed, shown with
their cause, redriven and purged; failed side effects listed and retried; the status at a
glance."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from deploy import ops
from shared.runtime.broker import provision_topics
from shared.runtime.db import SHARED_MIGRATIONS, ensure_database, migrate, migration_files
from shared.runtime.settings import ServiceSettings, with_database
from tests.integration.test_plumbing import _read

pytestmark = pytest.mark.integration


@pytest.fixture
async def world(postgres_url: str, kafka_bootstrap: str):
    """A service of its own (database mot_cua_<name>) and a topic with its dead letters."""
    name = f"ops{uuid.uuid4().hex[:8]}"
    url = with_database(postgres_url, f"mot_cua_{name}")
    await ensure_database(url)
    await migrate(url, migration_files(SHARED_MIGRATIONS))
    conn = await asyncpg.connect(url)
    await conn.execute("""
        CREATE TABLE parcel (id bigserial PRIMARY KEY, status text NOT NULL,
                             attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz,
                             last_error text);
        INSERT INTO parcel (status, attempts, last_error) VALUES
            ('failed', 10, 'carrier refused: address cannot be served'), ('done', 1, NULL);
        INSERT INTO outbox_message (event_id, topic, key, payload)
            VALUES (gen_random_uuid(), 't', 'k', '\\x7b7d');""")
    await conn.close()
    topic = f"ops.{uuid.uuid4().hex[:8]}"
    await provision_topics(ServiceSettings(service_name="test",
                                           kafka_bootstrap_servers=kafka_bootstrap),
                           [topic, f"{topic}.dlq"])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for n, cause in enumerate(("ValidationError: dossier_code missing",
                                   "ConnectionRefusedError: [Errno 111] refused")):
            await producer.send_and_wait(f"{topic}.dlq", json.dumps({"n": n}).encode(),
                                         key=f"dossier-{n}".encode(), headers=[
                ("event_type", b"DossierSubmitted"), ("x-dlq-error", cause.encode()),
                ("x-dlq-consumer", name.encode()), ("x-dlq-attempts", b"5"),
                ("x-original-topic", topic.encode()), ("x-original-partition", b"0"),
                ("x-original-offset", str(n).encode()), ("x-dlq-traceback", b"Traceback...")])
    finally:
        await producer.stop()
    yield name, topic, ops.Target(postgres_url, kafka_bootstrap, (name,))


async def test_dead_letters_are_listed_and_shown_with_their_cause(world) -> None:
    name, topic, target = world
    assert (await ops.dlq_counts(target))[f"{topic}.dlq"] == 2
    shown = await ops.dlq_records(target, f"{topic}.dlq", cause="validation")
    assert [(r["key"], r["cause"], r["consumer"], r["attempts"], r["original"])
            for r in shown] == [("dossier-0", "ValidationError: dossier_code missing", name,
                                 "5", f"{topic}[0]@0")]
    assert len(await ops.dlq_records(target, f"{topic}.dlq", consumer_name=name)) == 2
    assert await ops.dlq_records(target, f"{topic}.dlq", consumer_name="other") == []


async def test_a_redrive_sends_the_matching_dead_letters_back_to_their_topic(world,
        kafka_bootstrap) -> None:
    _, topic, target = world
    [dead] = await ops.dlq_records(target, f"{topic}.dlq", cause="refused")
    assert await ops.dlq_redrive(target, f"{topic}.dlq", cause="refused") == 1
    [record] = await _read(kafka_bootstrap, topic, 1)
    headers = dict(record.headers)
    assert (record.key, json.loads(record.value)) == (b"dossier-1", {"n": 1})
    assert headers["event_type"] == b"DossierSubmitted"
    origin = f"{topic}.dlq@{dead['partition']}:{dead['offset']}"
    assert headers["x-redriven-from"] == origin.encode()
    assert not any(k.startswith("x-dlq") or k.startswith("x-original") for k in headers)


async def test_a_purge_empties_a_dead_letter_topic(world) -> None:
    _, topic, target = world
    assert await ops.dlq_purge(target, f"{topic}.dlq") == 2
    assert (await ops.dlq_counts(target))[f"{topic}.dlq"] == 0
    with pytest.raises(SystemExit, match="not a dead-letter topic"):
        await ops.dlq_purge(target, topic)


async def test_failed_side_effects_are_listed_and_retried(world, postgres_url) -> None:
    name, _, target = world
    failed = await ops.failed_effects(target)
    assert [(f["service"], f["table"], f["attempts"], f["last_error"]) for f in failed] == [
        (name, "parcel", 10, "carrier refused: address cannot be served")]
    assert await ops.retry_effects(target, name, "parcel", [failed[0]["id"]]) == 1
    conn = await asyncpg.connect(with_database(postgres_url, f"mot_cua_{name}"))
    try:
        rows = await conn.fetch("SELECT status, attempts FROM parcel ORDER BY id")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [("pending", 0), ("done", 1)]
    assert await ops.failed_effects(target) == []
    with pytest.raises(SystemExit, match="not a side-effect table"):
        await ops.retry_effects(target, name, "outbox_message", None)


async def _commit(kafka_bootstrap: str, group: str, topic: str,
                  offset_of: Callable[[TopicPartition, int], int | None]) -> dict[
                      TopicPartition, int]:
    """Commit, as ``group``, ``offset_of(partition, its end offset)`` on each partition of
    ``topic`` (none where it gives None); the end offsets."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        offsets = {p: offset_of(p, ends[p]) for p in partitions}
        await consumer.commit({p: OffsetAndMetadata(o, "") for p, o in offsets.items()
                               if o is not None})
    finally:
        await consumer.stop()
    return ends


async def test_lag_counts_a_partition_the_group_has_not_committed_on(world, kafka_bootstrap):
    """After a reset of the embedded broker a group's offsets are gone: a partition with
    records and no commit is all lag, not none (the chaos run's quiet check met a consumer
    that had read a large batch and committed nothing yet)."""
    name, topic, target = world
    group = f"g-{name}"
    held: list[TopicPartition] = []

    def all_but_one_with_records(partition: TopicPartition, end: int) -> int | None:
        if end > 0 and not held:
            held.append(partition)
            return None
        return end

    ends = await _commit(kafka_bootstrap, group, f"{topic}.dlq", all_but_one_with_records)
    by_partition = (await ops.partition_lag(target, [group]))[group]
    assert by_partition[held[0]] == ends[held[0]] > 0
    assert sum(by_partition.values()) == ends[held[0]]
    assert await ops.consumer_lag(target, [group]) == {group: ends[held[0]]}
    assert await ops.consumer_lag(target, [f"never-{name}"]) == {}


async def test_status_shows_backlog_lag_and_dead_letters(world, kafka_bootstrap, capsys) -> None:
    name, topic, target = world
    group = f"g-{name}"
    # The group handled none of the two dead letters.
    await _commit(kafka_bootstrap, group, f"{topic}.dlq", lambda partition, end: 0)
    seen = await ops.status(target, [group])
    assert seen["services"][name] == {"unsent": 1, "oldest_unsent_s": pytest.approx(
        seen["services"][name]["oldest_unsent_s"]), "failed_effects": 1}
    assert seen["consumer_lag"][group] == 2
    assert seen["dead_letters"][f"{topic}.dlq"] == 2
    # The command line prints the same as JSON; a redrive without --yes only says what.
    argv = ["--database-url", target.database_url, "--bootstrap-servers", kafka_bootstrap,
            "--services", name, "dlq", "redrive", f"{topic}.dlq"]
    assert await asyncio.to_thread(ops.main, argv) == 0
    assert json.loads(capsys.readouterr().out) == {"would_redrive": 2,
                                                   "hint": "add --yes to do it"}
