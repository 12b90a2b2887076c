"""PostgreSQL as the log of record: after the broker is reset (the embedded one restarted on
empty storage), each relay publishes its retained events again, in order; older rows are
pruned. On the real broker and database."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker

from deploy.local.broker import EmbeddedBroker, write_incarnation
from shared.contracts.events import Envelope
from shared.runtime.broker import publisher
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.runtime.outbox import BrokerIncarnation, OutboxRelay, UnitOfWork
from tests.integration.test_plumbing import _new_topic, _read
from tests.messaging import Probe
from tests.support import free_port

pytestmark = pytest.mark.integration


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


async def test_a_new_broker_incarnation_republishes_the_retained_events_in_order(
        pool, broker, kafka_bootstrap: str) -> None:
    topic = await _new_topic(kafka_bootstrap)
    dossier_id = uuid.uuid4()
    async with UnitOfWork(pool, producer="test") as uow:
        envelopes = [uow.emit(Probe(on_topic=topic, dossier_code=f"T-{n}"), dossier_id=dossier_id)
                     for n in range(3)]
        await uow.commit()
    # A row sent long ago, past the retention window: pruned on the reset, not republished.
    await pool.execute(
        """INSERT INTO outbox_message (event_id, topic, key, payload, sent_at)
           VALUES ($1, $2, 'old', '\\x7b7d', now() - interval '8 days')""", uuid.uuid4(), topic)
    incarnation = "first"

    async def current() -> str:
        return incarnation

    relay = OutboxRelay(pool, publisher(broker), incarnation=current, retention_s=7 * 86400)
    assert await relay.check_incarnation() == 0  # first sight: nothing sent recently
    assert await pool.fetchval("SELECT count(*) FROM outbox_message") == 3  # old row pruned
    assert await relay.relay_once() == 3
    assert await relay.check_incarnation() == 0  # the same broker: nothing to do

    incarnation = "second"  # the broker was reset
    assert await relay.check_incarnation() == 3
    assert await pool.fetchval("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 3
    assert await relay.check_incarnation() == 0  # recorded: republished once, not again
    assert await relay.relay_once() == 3
    assert relay.republished == 3

    records = await _read(kafka_bootstrap, topic, 6)
    ids = [Envelope.model_validate_json(r.value).event_id for r in records]
    expected = [e.event_id for e in envelopes]
    assert ids == expected + expected, "published again after the reset, in order"
    assert await pool.fetchval("SELECT incarnation FROM outbox_broker_incarnation") == "second"


async def test_a_relay_without_a_marker_never_republishes(pool, broker, kafka_bootstrap) -> None:
    topic = await _new_topic(kafka_bootstrap)
    async with UnitOfWork(pool, producer="test") as uow:
        uow.emit(Probe(on_topic=topic, dossier_code="T-1"), dossier_id=uuid.uuid4())
        await uow.commit()

    async def none() -> None:
        return None

    relay = OutboxRelay(pool, publisher(broker), incarnation=none)
    assert await relay.relay_once() == 1
    assert await relay.check_incarnation() == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 0


async def test_the_reader_sees_each_incarnation_the_launcher_writes(tmp_path: Path) -> None:
    with EmbeddedBroker(free_port(), log_dir=tmp_path) as own:  # not the session's broker
        reader = BrokerIncarnation(own.bootstrap_servers, "test")
        try:
            assert await reader() is None  # no marker: a durable broker's case
            first = write_incarnation(own.bootstrap_servers)
            assert await reader() == first
            second = write_incarnation(own.bootstrap_servers)
            assert second != first and await reader() == second
            # The relay awaits the reader in its loop: between checks nothing of the
            # reader's polls the idle topic (a poll held each check ~0.5 s on Tansu).
            assert not reader.polling()
            assert await reader() == second and not reader.polling()
        finally:
            await reader.close()


async def test_a_portal_publishes_again_a_submission_that_got_no_receipt(
        kafka_bootstrap: str) -> None:
    """The first copy is lost (as on a broker reset): the intake side here answers only the
    second, and the client gets its receipt from that one."""
    import asyncio
    import json

    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from shared.contracts.topics import PORTAL_SUBMISSIONS, portal_receipts
    from shared.portal.client import publish_and_wait
    from shared.runtime.broker import provision_topics
    from shared.runtime.settings import ServiceSettings

    portal = f"p{uuid.uuid4().hex[:8]}"
    await provision_topics(ServiceSettings(service_name="test",
                                           kafka_bootstrap_servers=kafka_bootstrap),
                           [PORTAL_SUBMISSIONS, portal_receipts(portal)])
    submission_id = f"sub-{uuid.uuid4().hex}"
    seen: list[bytes] = []

    async def intake_that_loses_the_first_copy() -> None:
        consumer = AIOKafkaConsumer(PORTAL_SUBMISSIONS, bootstrap_servers=kafka_bootstrap,
                                    group_id=f"g-{portal}", auto_offset_reset="earliest")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await consumer.start()
        await producer.start()
        try:
            async for record in consumer:
                if record.key != submission_id.encode():
                    continue
                seen.append(record.value)
                if len(seen) == 2:
                    await producer.send_and_wait(portal_receipts(portal), json.dumps(
                        {"portal_submission_id": submission_id, "outcome": "accepted"}).encode(),
                        key=record.key)
        finally:
            await producer.stop()
            await consumer.stop()

    responder = asyncio.create_task(intake_that_loses_the_first_copy())
    try:
        answer = await publish_and_wait(kafka_bootstrap, portal, "secret",
                                        {"portal_submission_id": submission_id},
                                        timeout_s=60, resend_after_s=6)
    finally:
        responder.cancel()
    assert answer == {"portal_submission_id": submission_id, "outcome": "accepted"}
    assert len(seen) == 2 and seen[0] == seen[1]  # the same signed record, sent again
