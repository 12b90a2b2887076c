"""A portal submits through Kafka: an independent client (librdkafka) publishes signed records
to ``portal.submissions`` and reads the answers on its own ``portal.<id>.receipts`` topic, while
intake runs as the service does (its whole composition, on the real broker and database)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import AsyncIterator
from importlib.resources import files

import asyncpg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from services.intake.bootstrap import SPEC
from services.intake.settings import IntakeSettings
from shared.contracts.topics import PORTAL_SUBMISSIONS, dead_letter, portal_receipts
from shared.portal.client import kafka_record, record_headers
from shared.runtime.service import build_app

pytestmark = pytest.mark.integration
SECRET = "kafka-portal-secret-0001"  # noqa: S105 - a test portal's key
PDF = base64.b64encode(b"%PDF-1.4\n").decode()


@pytest.fixture(scope="module")
async def portal(postgres_url: str, kafka_bootstrap: str, tmp_path_factory
                 ) -> AsyncIterator[tuple[str, IntakeSettings]]:
    """Intake, running with one configured portal (a fresh id: its receipts topic is new)."""
    portal_id = f"kafka-{uuid.uuid4().hex[:8]}"
    settings = IntakeSettings(
        database_url=postgres_url, database_name=f"intake_{uuid.uuid4().hex[:10]}",
        kafka_bootstrap_servers=kafka_bootstrap, portal_secrets=f"{portal_id}:{SECRET}",
        document_dir=tmp_path_factory.mktemp("documents"),
        consumer_max_attempts=2, consumer_retry_backoff_s=0.01,
    )
    # This intake publishes real events on the session's broker, where the end-to-end stack
    # later reads from the start: a catalog of its own agency code keeps its dossier codes
    # from colliding with that stack's.
    pilot = (files("shared.reference.data.catalog") / "vinh-thanh-2024.yaml").read_text("utf-8")
    catalog = tmp_path_factory.mktemp("catalog") / "test-agency.yaml"
    catalog.write_text(pilot.replace("\n  code: VTH\n", "\n  code: TST\n", 1), "utf-8")
    app = build_app(SPEC, settings)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CATALOG_PATH", str(catalog))
        async with app.router.lifespan_context(app):
            yield portal_id, settings


def _dossier(**changes: object) -> dict:
    body = {
        "portal_submission_id": f"k-{uuid.uuid4().hex[:12]}", "procedure_code": "2.002189",
        "applicant": {"full_name": "Phạm Thị Lan", "id_number": "092301007777",
                      "phone": "0987654321", "email": "lan@example.vn"},
        "return_method": "online",
        "documents": [{"kind": k, "filename": f"{k}.pdf", "content_type": "application/pdf",
                       "content_base64": PDF}
                      for k in ("to_khai", "giay_to_ket_hon", "giay_to_tuy_than")],
    }
    return {**body, **changes}


def _publish(bootstrap: str, records: list[tuple[bytes, bytes, list]],
             config: dict | None = None) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", **(config or {})})
    for key, value, headers in records:
        producer.produce(PORTAL_SUBMISSIONS, value=value, key=key, headers=headers)
    assert producer.flush(30) == 0


def _read(bootstrap: str, topic: str, keys: list[bytes]) -> dict[bytes, list]:
    """Every record of ``topic`` with one of ``keys``, until each key has one."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        found: dict[bytes, list] = {}
        while not all(k in found for k in keys):
            message = consumer.poll(30)
            assert message is not None, f"{topic}: no answer for {set(keys) - set(found)}"
            assert message.error() is None, message.error()
            if message.key() in keys:
                found.setdefault(message.key(), []).append(message)
        return found
    finally:
        consumer.close()


async def test_receipts_answer_accepted_replayed_conflicting_and_refused_submissions(
    portal: tuple[str, IntakeSettings],
) -> None:
    portal_id, settings = portal
    good = _dossier()
    conflicting = {**good, "return_method": "postal", "postal_address": {
        "recipient_name": "Nguyễn Thị Hoa", "phone": "0912345678", "street": "1 Đường A",
        "ward": "Phường Ninh Kiều", "province": "Thành phố Cần Thơ"}}
    invalid = _dossier(channel="counter")
    invalid["applicant"]["id_number"] = "123"
    forged = _dossier()
    bootstrap = settings.kafka_bootstrap_servers

    await asyncio.to_thread(_publish, bootstrap, [kafka_record(portal_id, SECRET, good)])
    first = await asyncio.to_thread(_read, bootstrap, portal_receipts(portal_id),
                                    [good["portal_submission_id"].encode()])
    await asyncio.to_thread(_publish, bootstrap, [
        kafka_record(portal_id, SECRET, good),  # a replay
        kafka_record(portal_id, SECRET, conflicting),
        kafka_record(portal_id, SECRET, invalid),
        kafka_record(portal_id, "not-the-right-secret-0001", forged),
    ])
    keys = [d["portal_submission_id"].encode() for d in (good, invalid, forged)]
    found = await asyncio.to_thread(_read, bootstrap, portal_receipts(portal_id), keys[1:2])
    receipts = {k: [json.loads(m.value()) for m in ms] for k, ms in found.items()}
    answers = [json.loads(m.value()) for m in await asyncio.to_thread(
        _read_all, bootstrap, portal_receipts(portal_id), keys[0], 3)]

    accepted = json.loads(first[keys[0]][0].value())
    assert answers[0] == accepted
    assert accepted["outcome"] == "accepted" and accepted["replay"] is False
    code = accepted["receipt"]["dossier_code"]
    assert code.startswith("TST-") and accepted["receipt"]["due_date"]
    replay, conflict = answers[1:]  # one key, one partition: in the order published
    assert (replay["outcome"], replay["replay"], replay["receipt"]["dossier_code"]) == (
        "accepted", True, code)
    assert conflict["outcome"] == "refused" and "already used" in conflict["reasons"][0]

    refused = receipts[keys[1]][0]
    assert refused["outcome"] == "refused" and refused["receipt"] is None
    assert [r.split(":")[0] for r in refused["reasons"]] == ["applicant.id_number"]
    # A forged record is never answered on the portal's topic: it is dead-lettered.
    dead = await asyncio.to_thread(_read, bootstrap, dead_letter(PORTAL_SUBMISSIONS), keys[2:])
    assert "does not match this request" in dict(dead[keys[2]][0].headers())["x-dlq-error"].decode()
    assert keys[2] not in await asyncio.to_thread(_keys_so_far, bootstrap,
                                                  portal_receipts(portal_id))

    conn = await asyncpg.connect(settings.service_database_url)
    try:
        submitted = await conn.fetchval(
            """SELECT count(*) FROM outbox_message WHERE topic = 'dossier.events'
               AND headers->>'event_type' = 'DossierSubmitted'""")
        portal_of = await conn.fetchval("SELECT portal FROM dossier WHERE code = $1", code)
    finally:
        await conn.close()
    assert (submitted, portal_of) == (1, portal_id)


def _keys_so_far(bootstrap: str, topic: str) -> set[bytes]:
    """The keys of every record of ``topic`` up to its end now."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions if ends[p] > 0])
        keys, left = set(), {p for p, end in ends.items() if end > 0}
        while left:
            message = consumer.poll(30)
            assert message is not None and message.error() is None, f"{topic}: {left} unread"
            keys.add(message.key())
            if message.offset() + 1 >= ends[message.partition()]:
                left.discard(message.partition())
        return keys
    finally:
        consumer.close()


def _read_all(bootstrap: str, topic: str, key: bytes, count: int) -> list:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        found: list = []
        while len(found) < count:
            message = consumer.poll(30)
            assert message is not None, f"{topic}: only {len(found)} of {count}"
            if message.error() is None and message.key() == key:
                found.append(message)
        return found
    finally:
        consumer.close()


async def test_records_that_cannot_be_answered_are_dead_lettered_with_the_cause(
    portal: tuple[str, IntakeSettings],
) -> None:
    portal_id, settings = portal
    stranger = _dossier()
    key, value, _ = kafka_record("unknown-portal", SECRET, stranger)
    headers = record_headers("unknown-portal", SECRET, key, value)
    garbage_key = f"garbage-{uuid.uuid4().hex[:8]}".encode()
    garbage = b"\x00 not json"
    signed = record_headers(portal_id, SECRET, garbage_key, garbage)
    await asyncio.to_thread(_publish, settings.kafka_bootstrap_servers,
                            [(key, value, headers), (garbage_key, garbage, signed)])

    found = await asyncio.to_thread(_read, settings.kafka_bootstrap_servers,
                                    dead_letter(PORTAL_SUBMISSIONS), [key, garbage_key])
    causes = {k: dict(ms[0].headers())["x-dlq-error"].decode() for k, ms in found.items()}
    assert "no such portal to answer" in causes[key]
    assert "not valid JSON" in causes[garbage_key]
    assert found[garbage_key][0].value() == garbage


async def test_unauthenticated_stale_malformed_and_oversized_records_are_dead_lettered_unanswered(
    portal: tuple[str, IntakeSettings],
) -> None:
    """Hostile records on portal.submissions: none is answered on the portal's topic (where a
    stranger could forge receipts), each is dead-lettered at once with its cause, and a valid
    neighbour behind them is answered."""
    portal_id, settings = portal
    bootstrap = settings.kafka_bootstrap_servers

    def headers_of(key: bytes, value: bytes, **changes: str) -> list[tuple[str, bytes]]:
        headers = {**dict(record_headers(portal_id, SECRET, key, value)),
                   **{k: v.encode() for k, v in changes.items()}}
        return list(headers.items())

    def body(dossier: dict) -> tuple[bytes, bytes]:
        return dossier["portal_submission_id"].encode(), json.dumps(dossier).encode()

    unsigned_key, unsigned = body(_dossier())
    digit_key, digits = body(_dossier())
    old_key, old = body(_dossier())
    month_ago = time.time() - 30 * 86_400
    big = _dossier(note="x" * 1_040_000)
    big_key, big_value = body(big)
    good = _dossier()
    hostile = [
        (unsigned_key, unsigned, [("X-Portal-Id", portal_id.encode())]),
        (digit_key, digits, headers_of(digit_key, digits, **{"X-Timestamp": "²" * 10})),
        (old_key, old, record_headers(portal_id, SECRET, old_key, old, now=month_ago)),
        (big_key, big_value, [(k, v) for k, v in headers_of(big_key, big_value)
                              if k != "X-Portal-Id"] + [("X-Portal-Id", b"p" * 4_000)]),
        kafka_record(portal_id, SECRET, good),
    ]
    await asyncio.to_thread(_publish, bootstrap, hostile, {"message.max.bytes": 2_000_000})

    hostile_keys = [unsigned_key, digit_key, old_key, big_key]
    dead = await asyncio.to_thread(_read, bootstrap, dead_letter(PORTAL_SUBMISSIONS),
                                   hostile_keys)
    answered = await asyncio.to_thread(_read, bootstrap, portal_receipts(portal_id),
                                       [good["portal_submission_id"].encode()])
    causes = {k: dict(ms[-1].headers()) for k, ms in dead.items()}
    assert "missing header(s): X-Timestamp, X-Nonce, X-Signature" in causes[unsigned_key][
        "x-dlq-error"].decode()
    assert "expected unix seconds (ASCII digits)" in causes[digit_key]["x-dlq-error"].decode()
    assert "stale" in causes[old_key]["x-dlq-error"].decode()
    assert "no such portal" in causes[big_key]["x-dlq-error"].decode()
    assert all(h["x-dlq-attempts"] == b"1" for h in causes.values())  # no retries
    assert all(sum(map(len, h.values())) < 8_192 for h in causes.values())
    assert json.loads(answered[good["portal_submission_id"].encode()][0].value())[
        "outcome"] == "accepted"
    assert not set(hostile_keys) & await asyncio.to_thread(
        _keys_so_far, bootstrap, portal_receipts(portal_id))


async def test_a_record_signed_for_another_key_or_topic_or_published_again_is_dead_lettered(
    portal: tuple[str, IntakeSettings],
) -> None:
    """Signature version 2 binds a record to its topic and key, once: a record re-keyed, one
    signed for another topic, and a captured record published again are dead-lettered with
    their cause, never answered; the original of the captured record is answered."""
    portal_id, settings = portal
    bootstrap = settings.kafka_bootstrap_servers

    def body(dossier: dict) -> tuple[bytes, bytes]:
        return dossier["portal_submission_id"].encode(), json.dumps(dossier).encode()

    rekeyed_key, rekeyed = body(_dossier())
    elsewhere_key, elsewhere = body(_dossier())
    captured = kafka_record(portal_id, SECRET, _dossier())
    await asyncio.to_thread(_publish, bootstrap, [
        (rekeyed_key, rekeyed, record_headers(portal_id, SECRET, b"another-key", rekeyed)),
        (elsewhere_key, elsewhere, record_headers(portal_id, SECRET, elsewhere_key, elsewhere,
                                                  topic=portal_receipts(portal_id))),
        captured,
    ])
    first = await asyncio.to_thread(_read, bootstrap, portal_receipts(portal_id), [captured[0]])
    assert json.loads(first[captured[0]][0].value())["outcome"] == "accepted"
    await asyncio.to_thread(_publish, bootstrap, [captured])  # the same bytes, replayed

    dead = await asyncio.to_thread(_read, bootstrap, dead_letter(PORTAL_SUBMISSIONS),
                                   [rekeyed_key, elsewhere_key, captured[0]])
    causes = {k: dict(ms[-1].headers())["x-dlq-error"].decode() for k, ms in dead.items()}
    assert "does not match this request" in causes[rekeyed_key]
    assert "does not match this request" in causes[elsewhere_key]
    assert "X-Nonce: already used" in causes[captured[0]]
    assert not {rekeyed_key, elsewhere_key} & await asyncio.to_thread(
        _keys_so_far, bootstrap, portal_receipts(portal_id))
