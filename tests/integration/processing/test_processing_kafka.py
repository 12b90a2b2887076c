"""Processing as the service runs (its whole composition, on the real broker and database):
an independent Kafka client subscribed to one department's topic sees exactly that
department's work; citizens' supplements and withdrawals, and a fee's final failure, arrive
through Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from services.processing.bootstrap import SPEC
from services.processing.settings import ProcessingSettings
from shared.contracts.events import (
    DocumentRef,
    Envelope,
    Event,
    PaymentCompleted,
    PaymentFailed,
    SupplementProvided,
    WithdrawalRequested,
)
from shared.contracts.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, dead_letter, department_work
from shared.runtime.service import build_app
from tests.integration.processing.support import CALENDAR, submission
from tests.support import wait_until

pytestmark = pytest.mark.integration


class KafkaTestSentinel(Event):
    """Marks the end of what a test reads from a partition (consumers ignore unknown types)."""


@pytest.fixture(scope="module")
async def service(postgres_url: str, kafka_bootstrap: str) -> AsyncIterator[dict]:
    settings = ProcessingSettings(
        database_url=postgres_url, database_name=f"processing_{uuid.uuid4().hex[:10]}",
        kafka_bootstrap_servers=kafka_bootstrap, environment="development",
        consumer_max_attempts=2, consumer_retry_backoff_s=0.01, outbox_poll_interval_s=0.2)
    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://processing") as http:
            yield {"http": http, "db": settings.service_database_url,
                   "bootstrap": kafka_bootstrap}


def publish(bootstrap: str, topic: str, envelopes: list[Envelope],
            partitions: list[int] | None = None) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for index, envelope in enumerate(envelopes):
        extra = {} if partitions is None else {"partition": partitions[index]}
        producer.produce(topic, key=str(envelope.dossier_id).encode(),
                         value=envelope.model_dump_json().encode(), **extra)
    assert producer.flush(30) == 0


async def outbox_drained(db: str) -> bool:
    conn = await asyncpg.connect(db)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox_message WHERE sent_at IS NULL"
                                   ) == 0
    finally:
        await conn.close()


def read_to_sentinels(bootstrap: str, topic: str, marker: uuid.UUID) -> list[Envelope]:
    """Every record of ``topic`` up to this test's sentinel in each partition."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"dept-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        open_partitions, seen = set(partitions), []
        while open_partitions:
            message = consumer.poll(10)
            assert message is not None, f"{topic}: no sentinel yet in {open_partitions}"
            assert message.error() is None, message.error()
            envelope = Envelope.model_validate_json(message.value())
            if envelope.event_type == "KafkaTestSentinel":
                if envelope.correlation_id == marker:
                    open_partitions.discard(message.partition())
            else:
                seen.append(envelope)
        return seen
    finally:
        consumer.close()


async def sign_in(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    granted = await http.post("/v1/auth/token", json={"username": username,
                                                      "password": "dev-password"})
    return {"Authorization": f"Bearer {granted.json()['access_token']}"}


async def test_a_department_topic_carries_exactly_that_departments_work(service) -> None:
    http, now = service["http"], datetime.now(UTC)
    submitted = [submission(code, now) for code in (
        "2.000806", "1.009995", "2.002189", "2.001885", "2.000748", "1.001612")]
    publish(service["bootstrap"], DOSSIER_EVENTS, [envelope for _, envelope in submitted])
    tp = {e.dossier_code: e for e, _ in submitted if e.department_code == "tp"}
    assert len(tp) == 3
    registered, with_fee, _ = (e.dossier_code for e, _ in submitted
                               if e.department_code == "tp")

    async def routed() -> bool:
        answers = [await http.get(f"/v1/dossiers/{e.dossier_code}",
                                  headers=await sign_in(http, f"{e.department_code}.intake"))
                   for e, _ in submitted]
        return all(a.status_code == 200 for a in answers)

    await wait_until(routed, timeout=30, description="every dossier routed")
    intake, approver = await sign_in(http, "tp.intake"), await sign_in(http, "tp.approver")
    moved = await http.post(f"/v1/dossiers/{registered}/actions", headers=intake, json={
        "action": "transfer", "to_department": "vhtt", "reason": "Thuộc lĩnh vực văn hóa"})
    assert moved.status_code == 200, moved.text
    case = (await http.get(f"/v1/dossiers/{with_fee}", headers=approver)).json()
    later = CALENDAR.add_working_days(date.fromisoformat(case["due_date"]), 2).isoformat()
    apology = await http.post(f"/v1/dossiers/{with_fee}/actions", headers=approver, json={
        "action": "issue_apology", "reason": "Chờ xác minh", "new_due_date": later})
    assert apology.status_code == 200, apology.text

    await wait_until(lambda: outbox_drained(service["db"]), timeout=30,
                     description="processing published everything")
    marker = uuid.uuid4()
    topic = department_work("tp")
    sentinel = Envelope.wrap(KafkaTestSentinel(), dossier_id=uuid.uuid4(), producer="test",
                             correlation_id=marker)
    publish(service["bootstrap"], topic, [sentinel] * 6, partitions=list(range(6)))
    records = await asyncio.to_thread(read_to_sentinels, service["bootstrap"], topic, marker)

    assert all(r.payload["department_code"] == "tp" for r in records)
    mine = {str(e.dossier_code): [] for e, _ in submitted}
    for record in records:
        if record.dossier_code in mine:
            mine[record.dossier_code].append(record)
    assert {code for code, seen in mine.items() if seen} == set(tp)
    assert [(r.event_type, r.payload.get("status")) for r in mine[registered]] == [
        ("WorkItemQueued", "registered"), ("WorkItemTransferred", None)]
    assert mine[registered][-1].payload["to_department_code"] == "vhtt"
    assert [(r.event_type, r.payload.get("due_date")) for r in mine[with_fee]][-1] == (
        "WorkItemStatusChanged", later)


async def test_supplements_and_withdrawals_arrive_through_kafka(service) -> None:
    http, bootstrap, now = service["http"], service["bootstrap"], datetime.now(UTC)
    (first, first_env), (second, second_env) = (submission("2.001885", now) for _ in range(2))
    publish(bootstrap, DOSSIER_EVENTS, [first_env, second_env])
    specialist = await sign_in(http, "vhtt.specialist")

    async def status(code: str) -> str | None:
        answer = await http.get(f"/v1/dossiers/{code}", headers=specialist)
        return answer.json()["status"] if answer.status_code == 200 else None

    await wait_until(lambda: status(second.dossier_code), timeout=30, description="routed")
    for code in (first.dossier_code, second.dossier_code):
        started = await http.post(f"/v1/dossiers/{code}/actions", headers=specialist,
                                  json={"action": "start"})
        assert started.status_code == 200, started.text
    asked = await http.post(f"/v1/dossiers/{first.dossier_code}/actions", headers=specialist,
                            json={"action": "request_supplement", "missing": ["Tờ khai"],
                                  "reason": "Thiếu tờ khai"})
    assert asked.json()["status"] == "awaiting_supplement" and asked.json()["sla_state"] == "paused"
    document = DocumentRef(kind="to_khai", filename="to-khai.pdf",
                           content_type="application/pdf", size=9, sha256="a" * 64)
    publish(bootstrap, DOSSIER_EVENTS, [
        Envelope.wrap(SupplementProvided(dossier_code=first.dossier_code, documents=(document,),
                                         provided_at=datetime.now(UTC)),
                      dossier_id=first_env.dossier_id, producer="intake"),
        Envelope.wrap(WithdrawalRequested(dossier_code=second.dossier_code, reason="Đổi ý",
                                          requested_at=datetime.now(UTC)),
                      dossier_id=second_env.dossier_id, producer="intake"),
    ])
    await wait_until(lambda: _is(status(first.dossier_code), "in_progress"), timeout=30,
                     description="the supplement resumes processing")
    await wait_until(lambda: _is(status(second.dossier_code), "withdrawn"), timeout=30,
                     description="the withdrawal is recorded")
    trail = (await http.get(f"/v1/dossiers/{first.dossier_code}/audit", headers=specialist)
             ).json()
    assert [e["action"] for e in trail][-2:] == ["request_supplement", "supplement_provided"]


async def test_a_failed_fee_arrives_through_kafka_and_its_redelivery_changes_nothing(
    service,
) -> None:
    http, bootstrap = service["http"], service["bootstrap"]
    event, envelope = submission("2.002189", datetime.now(UTC))  # tp, fee 75 000
    publish(bootstrap, DOSSIER_EVENTS, [envelope])
    officer = await sign_in(http, "tp.intake")

    async def status() -> str | None:
        answer = await http.get(f"/v1/dossiers/{event.dossier_code}", headers=officer)
        return answer.json()["status"] if answer.status_code == 200 else None

    await wait_until(lambda: _is(status(), "awaiting_fee"), timeout=30, description="routed")
    payment_id, amount = uuid.uuid4(), Decimal(75_000)
    failed = Envelope.wrap(PaymentFailed(dossier_code=event.dossier_code,
                                         payment_id=payment_id, amount=amount,
                                         reason="Thẻ hết hạn", attempts=3),
                           dossier_id=envelope.dossier_id, producer="payment")
    paid = Envelope.wrap(PaymentCompleted(dossier_code=event.dossier_code,
                                          payment_id=payment_id, amount=amount,
                                          gateway_transaction_id="GW-2"),
                         dossier_id=envelope.dossier_id, producer="payment")
    # One key, one partition: by the time the payment is seen, the redelivery was handled.
    publish(bootstrap, PAYMENT_EVENTS, [failed, failed, paid])
    await wait_until(lambda: _is(status(), "accepted"), timeout=30,
                     description="the fee paid after all")
    trail = (await http.get(f"/v1/dossiers/{event.dossier_code}/audit", headers=officer)
             ).json()
    assert [e["action"] for e in trail if e["action"].startswith("fee")] == [
        "fee_failed", "fee_paid"]


async def test_a_submission_processing_cannot_route_is_dead_lettered_with_its_cause(
    service,
) -> None:
    event, envelope = submission("2.001885", datetime.now(UTC))
    unknown = Envelope.wrap(event.model_copy(update={"catalog_version": "no-such-version"}),
                            dossier_id=envelope.dossier_id, producer="intake")
    publish(service["bootstrap"], DOSSIER_EVENTS, [unknown])
    # A blocking client in a thread: the service shares this event loop.
    message = await asyncio.to_thread(find_in, service["bootstrap"], dead_letter(DOSSIER_EVENTS),
                                      str(unknown.event_id).encode())
    headers = dict(message.headers())
    assert b"no-such-version" in headers["x-dlq-error"]
    assert headers["x-dlq-consumer"] == b"processing.dossier.events"


def find_in(bootstrap: str, topic: str, needle: bytes) -> Any:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"find-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        while True:
            message = consumer.poll(30)
            assert message is not None, f"{topic}: nothing with {needle!r} after 30 s"
            if message.error() is None and needle in message.value():
                return message
    finally:
        consumer.close()


async def _is(status, expected: str) -> bool:
    return await status == expected
