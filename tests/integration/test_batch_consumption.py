"""Batch consumption (issue 6) keeps every guarantee of one-event-at-a-time consumption:
one transaction per batch, the inbox still dedups, and a poison event is dead-lettered while its
neighbours are handled exactly once. Records come from the real broker, effects land in the
real database."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker
from prometheus_client import REGISTRY

from services.intake.bootstrap import SPEC as INTAKE
from services.intake.bootstrap import build_deps
from services.intake.ingress import ingress
from services.intake.settings import IntakeSettings
from shared.contracts.events import DossierProcessingStarted, Envelope
from shared.contracts.topics import dead_letter, portal_receipts
from shared.portal.client import kafka_record, record_headers
from shared.runtime.broker import provision_topics
from shared.runtime.consumer import Consumer
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.runtime.settings import ServiceSettings
from tests.messaging import event_consumer

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

    consumer = event_consumer("batch", {topic: {DossierProcessingStarted: handler}}, pool, broker)
    handled, duplicates = _counted(consumer.hook.consumer_name(topic))
    await consumer.process_batch(records)
    await consumer.process_batch(records)  # the offsets were not committed: it comes again

    assert len(transactions) == 1
    assert [r["code"] for r in await pool.fetch("SELECT code FROM effect")] == codes
    # the metrics tell the redelivery apart from the work: 5 handled, then 5 duplicates
    assert _counted(consumer.hook.consumer_name(topic)) == (handled + 5, duplicates + 5)


def _counted(consumer: str) -> tuple[float, float]:
    handled = REGISTRY.get_sample_value(
        "events_handled_total", {"consumer": consumer, "event_type": "DossierProcessingStarted"})
    duplicates = REGISTRY.get_sample_value("events_duplicate_total", {"consumer": consumer})
    return handled or 0.0, duplicates or 0.0


async def test_a_record_whose_event_type_header_is_not_for_the_consumer_is_skipped_unread(
    pool, broker, kafka_bootstrap: str
) -> None:
    """The relay sets ``event_type`` from the outbox row (issue 17): a consumer skips what it
    does not act on without reading the JSON; a record without the header is still read."""
    topic = f"test.skip.{uuid.uuid4().hex[:10]}"
    await provision_topics(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap),
                           [topic, f"{topic}.dlq"])
    dossier_id = uuid.uuid4()
    key = str(dossier_id).encode()

    def envelope(code: str) -> bytes:
        return Envelope.wrap(DossierProcessingStarted(dossier_code=code), dossier_id=dossier_id,
                             producer="test").model_dump_json().encode()

    await broker.publish(envelope("WANTED"), topic, key=key,
                         headers={"event_type": "DossierProcessingStarted"})
    # Not JSON at all: read, it would be dead-lettered; its header says it is not wanted.
    await broker.publish(b"\xff not an envelope", topic, key=key,
                         headers={"event_type": "DossierDecided"})
    await broker.publish(envelope("NO-HEADER"), topic, key=key)  # an older producer's
    records = await _read(kafka_bootstrap, topic, 3)
    seen: list[str] = []

    async def handler(event, envelope, uow) -> None:
        seen.append(event.dossier_code)
        await uow.conn.execute("INSERT INTO effect VALUES ($1)", event.dossier_code)

    consumer = event_consumer("skip", {topic: {DossierProcessingStarted: handler}}, pool, broker)
    assert consumer.hook.decode(records[1]) is None
    await consumer.process_batch(records)

    assert seen == ["WANTED", "NO-HEADER"]
    assert [r["code"] for r in await pool.fetch("SELECT code FROM effect")] == seen


async def test_a_poison_event_is_dead_lettered_and_its_neighbours_are_handled_once(
    pool, broker, kafka_bootstrap: str
) -> None:
    topic, records = await _published(broker, kafka_bootstrap, ["GOOD-1", "POISON", "GOOD-2"])
    calls: list[str] = []

    async def handler(event, envelope, uow) -> None:
        calls.append(event.dossier_code)
        await uow.conn.execute("INSERT INTO effect VALUES ($1)", event.dossier_code)
        if event.dossier_code == "POISON":
            raise RuntimeError("cannot handle this one")

    consumer = event_consumer("batch", {topic: {DossierProcessingStarted: handler}}, pool, broker,
                              max_attempts=2,
                              backoff_s=0.01)
    await consumer.process_batch(records)

    assert [r["code"] for r in await pool.fetch("SELECT code FROM effect")] == ["GOOD-1", "GOOD-2"]
    assert calls == ["GOOD-1", "POISON", "GOOD-1", "POISON", "POISON", "GOOD-2"]
    [dead] = await _read(kafka_bootstrap, f"{topic}.dlq", 1)
    headers = dict(dead.headers)
    assert dead.value == records[1].value and dead.key == records[1].key
    assert headers["x-dlq-attempts"] == b"2"
    assert headers["x-original-offset"] == str(records[1].offset).encode()


async def test_a_record_retried_alone_does_not_hold_back_other_keys(
    pool, broker, kafka_bootstrap: str
) -> None:
    """SLOW fails its batch, then is retried alone and waits until OTHER (another dossier,
    behind it in the batch) has been handled: handled one key after another, it would wait for
    ever; with keys handled side by side (each in its order) both finish."""
    topic, slow = await _published(broker, kafka_bootstrap, ["SLOW"])
    key = str(uuid.uuid4()).encode()
    other = Envelope.wrap(DossierProcessingStarted(dossier_code="OTHER"),
                          dossier_id=uuid.UUID(key.decode()), producer="test")
    await broker.publish(other.model_dump_json().encode(), topic, key=key)
    records = await _read(kafka_bootstrap, topic, 2)
    other_ran, tries = asyncio.Event(), []

    async def handler(event, envelope, uow) -> None:
        tries.append(event.dossier_code)
        if event.dossier_code == "OTHER":
            other_ran.set()
        elif tries.count("SLOW") == 1:
            raise RuntimeError("the first try fails the batch")
        else:
            await asyncio.wait_for(other_ran.wait(), timeout=20)
        await uow.conn.execute("INSERT INTO effect VALUES ($1)", event.dossier_code)

    consumer = event_consumer("batch", {topic: {DossierProcessingStarted: handler}}, pool,
                              broker, max_attempts=1, alone_concurrency=4)
    await consumer.process_batch(sorted(records, key=lambda r: r.key != slow[0].key))

    assert sorted(r["code"] for r in await pool.fetch("SELECT code FROM effect")) == [
        "OTHER", "SLOW"]


# --- Portal ingress (intake): a burst of submissions is answered concurrently -----------------

PORTAL, PORTAL_SECRET = "batch-portal", "batch-portal-secret-0001"  # a test portal's key
PDF = base64.b64encode(b"%PDF-1.4\n").decode()


def _submission(submission_id: str, id_number: str = "092301007777") -> dict:
    return {
        "portal_submission_id": submission_id, "procedure_code": "2.002189",
        "applicant": {"full_name": "Phạm Thị Lan", "id_number": id_number,
                      "phone": "0987654321", "email": "lan@example.vn"},
        "return_method": "online",
        "documents": [{"kind": k, "filename": f"{k}.pdf", "content_type": "application/pdf",
                       "content_base64": PDF}
                      for k in ("to_khai", "giay_to_ket_hon", "giay_to_tuy_than")],
    }


async def _submissions_topic(broker: KafkaBroker, kafka_bootstrap: str,
                             records: list[tuple[bytes, bytes, list]]) -> list:
    """Publish portal records to a topic of their own (no running intake reads it); return
    them as the ingress receives them, and make sure the answer topics exist."""
    topic = f"test.portal.{uuid.uuid4().hex[:10]}"
    await provision_topics(ServiceSettings(kafka_bootstrap_servers=kafka_bootstrap),
                           [topic, portal_receipts(PORTAL), dead_letter(topic)])
    for key, value, headers in records:
        await broker.publish(value, topic, key=key, headers={k: v.decode() for k, v in headers})
    return await _read(kafka_bootstrap, topic, len(records))


async def _answers(kafka_bootstrap: str, topic: str, keys: set[bytes], count: int
                   ) -> dict[bytes, list[dict]]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=f"reader-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    found: dict[bytes, list[dict]] = {}
    try:
        async with asyncio.timeout(30):
            while sum(map(len, found.values())) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    for record in (r for r in batch if r.key in keys):
                        found.setdefault(record.key, []).append(
                            dict(record.headers) if topic.endswith(".dlq")
                            else json.loads(record.value))
    finally:
        await consumer.stop()
    return found


async def test_a_burst_of_portal_submissions_is_answered_once_each_bad_ones_alone(
    database_url: str, broker, kafka_bootstrap: str, tmp_path
) -> None:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, INTAKE.migrations))
    settings = IntakeSettings(portal_secrets=f"{PORTAL}:{PORTAL_SECRET}", document_dir=tmp_path)
    run = uuid.uuid4().hex[:8]
    good = [_submission(f"{run}-good-{n}") for n in range(20)]
    invalid = _submission(f"{run}-invalid", id_number="123")
    garbage_key = f"{run}-garbage".encode()
    garbage = b"\x00 not json"
    signed = record_headers(PORTAL, PORTAL_SECRET, garbage_key, garbage)
    records = await _submissions_topic(broker, kafka_bootstrap, [
        *(kafka_record(PORTAL, PORTAL_SECRET, d) for d in good[:10]),
        kafka_record(PORTAL, PORTAL_SECRET, invalid), (garbage_key, garbage, signed),
        kafka_record(PORTAL, PORTAL_SECRET, good[0]),  # the portal sent one twice
        *(kafka_record(PORTAL, PORTAL_SECRET, d) for d in good[10:]),
    ])
    pool = await create_pool(database_url, min_size=2, max_size=10)
    try:
        portal_ingress = Consumer(ingress(build_deps(settings, pool, broker)), broker,
                                  max_attempts=2, backoff_s=0.01)
        await portal_ingress.process_batch(records)
        await portal_ingress.process_batch(records)  # no offsets were committed: it comes again
        dossiers = await pool.fetchval("SELECT count(DISTINCT code) FROM dossier")
        submitted = await pool.fetchval("SELECT count(*) FROM outbox_message")
    finally:
        await pool.close()

    keys = {d["portal_submission_id"].encode() for d in [*good, invalid]}
    receipts = await _answers(kafka_bootstrap, portal_receipts(PORTAL), keys, 2 * 22)
    first = receipts[good[0]["portal_submission_id"].encode()]
    assert [(r["outcome"], r["replay"]) for r in first] == [
        ("accepted", False), ("accepted", True), ("accepted", True), ("accepted", True)]
    assert len({r["receipt"]["dossier_code"] for r in first}) == 1
    for dossier in good[1:]:
        answers = receipts[dossier["portal_submission_id"].encode()]
        assert [(r["outcome"], r["replay"]) for r in answers] == [
            ("accepted", False), ("accepted", True)]
    refusals = receipts[invalid["portal_submission_id"].encode()]
    assert [r["outcome"] for r in refusals] == ["refused", "refused"]
    assert refusals[0]["reasons"][0].startswith("applicant.id_number")
    assert (dossiers, submitted) == (20, 20)
    dead = await _answers(kafka_bootstrap, dead_letter(records[0].topic), {garbage_key}, 2)
    assert all(b"not valid JSON" in h["x-dlq-error"] for h in dead[garbage_key])


async def test_a_batch_is_numbered_as_one_lot_and_a_row_the_database_refuses_goes_alone(
    database_url: str, broker, kafka_bootstrap: str, tmp_path
) -> None:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, INTAKE.migrations))
    settings = IntakeSettings(portal_secrets=f"{PORTAL}:{PORTAL_SECRET}", document_dir=tmp_path)
    run = uuid.uuid4().hex[:8]
    first = [_submission(f"{run}-first-{n}") for n in range(12)]
    poison = _submission(f"{run}-poison")
    then = [_submission(f"{run}-then-{n}") for n in range(10)]
    records = await _submissions_topic(broker, kafka_bootstrap, [
        kafka_record(PORTAL, PORTAL_SECRET, d) for d in [*first[:6], poison, *first[6:]]])
    later = await _submissions_topic(broker, kafka_bootstrap, [
        kafka_record(PORTAL, PORTAL_SECRET, d) for d in then])
    pool = await create_pool(database_url, min_size=2, max_size=10)
    try:
        await pool.execute("""
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.portal_submission_id LIKE '%-poison' THEN
                    RAISE EXCEPTION 'the database refuses %', NEW.portal_submission_id;
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_poison BEFORE INSERT ON dossier
                FOR EACH ROW EXECUTE FUNCTION refuse_poison()""")
        portal_ingress = Consumer(ingress(build_deps(settings, pool, broker)), broker,
                                  max_attempts=2, backoff_s=0.01)
        await portal_ingress.process_batch(records)  # the lot fails on one row: each goes alone
        await portal_ingress.process_batch(later)  # a lot of ten, numbered in the records' order
        codes = {r["portal_submission_id"]: r["code"]
                 for r in await pool.fetch("SELECT portal_submission_id, code FROM dossier")}
        submitted = await pool.fetchval("SELECT count(*) FROM outbox_message")
    finally:
        await pool.close()

    assert poison["portal_submission_id"] not in codes
    assert len(set(codes.values())) == len(codes) == 22 == submitted
    numbers = [int(codes[r.key.decode()].rsplit("-", 1)[1]) for r in later]
    assert numbers == list(range(13, 23))  # after the twelve of the first batch, in order
    receipts = await _answers(kafka_bootstrap, portal_receipts(PORTAL),
                              {d["portal_submission_id"].encode() for d in first}, 12)
    assert all([r["outcome"] for r in answers] == ["accepted"] for answers in receipts.values())
    dead = await _answers(kafka_bootstrap, dead_letter(records[0].topic),
                          {poison["portal_submission_id"].encode()}, 1)
    (headers,) = dead[poison["portal_submission_id"].encode()]
    assert b"the database refuses" in headers["x-dlq-error"]
    assert headers["x-dlq-attempts"] == b"2"
