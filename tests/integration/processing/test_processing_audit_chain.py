"""Processing's audit trail is a hash chain per dossier, like intake's timeline: the database
chains each entry as it is inserted, the events written in the same statement carry the head
(``audit_head``), and an officer's ``verify`` names the first entry edited, removed or
reordered when the tests tamper with the database past its triggers."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from confluent_kafka import Consumer

from shared.contracts.events import Envelope
from shared.contracts.topics import DOSSIER_EVENTS
from tests.integration.processing import test_processing_kafka
from tests.integration.processing.support import (
    FREE_AUTO,
    OWN,
    act,
    bearer,
    submission,
    submit,
)
from tests.integration.processing.test_processing_kafka import (
    KafkaTestSentinel,
    outbox_drained,
    publish,
    read_to_sentinels,
    sign_in,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration
service = test_processing_kafka.service  # processing running whole, as a fixture here too


async def _worked_on(http: httpx.AsyncClient, deps) -> str:
    """A dossier with three entries or more: routed, started, a supplement asked."""
    code = await submit(deps, FREE_AUTO)
    for body in ({"action": "start"}, {"action": "request_supplement",
                                       "missing": ["Tờ khai"], "reason": "Thiếu tờ khai"}):
        answer = await act(http, code, OWN, "specialist", body)
        assert answer.status_code == 200, answer.text
    return code


async def _verify(http: httpx.AsyncClient, code: str) -> dict:
    answer = await http.get(f"/v1/dossiers/{code}/audit/verify",
                            headers=bearer(OWN, "specialist"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _past_the_triggers(pool: asyncpg.Pool, sql: str, *args: object) -> None:
    """What someone with the database's keys could do: switch the guards off, then write."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE case_audit DISABLE TRIGGER USER")
        await conn.execute(sql, *args)
        await conn.execute("ALTER TABLE case_audit ENABLE TRIGGER USER")


async def _dossier_id(pool: asyncpg.Pool, code: str):
    return await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)


async def test_the_trail_is_chained_and_each_event_carries_the_head_of_its_statement(
        http: httpx.AsyncClient, deps, pool: asyncpg.Pool) -> None:
    code = await _worked_on(http, deps)
    dossier_id = await _dossier_id(pool, code)
    rows = await pool.fetch("SELECT seq, prev_hash, entry_hash FROM case_audit "
                            "WHERE dossier_id = $1 ORDER BY seq", dossier_id)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 3
    assert rows[0]["prev_hash"] == "" and [r["prev_hash"] for r in rows[1:]] == [
        r["entry_hash"] for r in rows[:-1]]
    verdict = await _verify(http, code)
    assert verdict == {"chain": "case_audit", "dossier_code": code, "ok": True,
                       "entries": len(rows), "head": rows[-1]["entry_hash"], "first_bad": None}
    outbox = await pool.fetch("SELECT payload FROM outbox_message WHERE key = $1 ORDER BY id",
                              str(dossier_id))
    heads = {(e := json.loads(r["payload"]))["event_type"]: e["payload"].get("audit_head", "-")
             for r in outbox}
    hashes = {r["entry_hash"] for r in rows}
    assert heads["DossierAccepted"] in hashes and heads["DossierProcessingStarted"] in hashes
    assert heads["SupplementRequested"] == verdict["head"]  # the last statement's
    assert heads["WorkItemStatusChanged"] == "-"  # no such field: its bytes are untouched
    trail = (await http.get(f"/v1/dossiers/{code}/audit", headers=bearer(OWN, "specialist")))
    assert [e["entry_hash"] for e in trail.json()] == [r["entry_hash"] for r in rows]


async def test_the_trail_refuses_truncate(http: httpx.AsyncClient, deps, pool) -> None:
    await _worked_on(http, deps)
    with pytest.raises(asyncpg.RaiseError, match="append-only: TRUNCATE"):
        await pool.execute("TRUNCATE case_audit CASCADE")


@pytest.mark.parametrize(("tamper", "first_bad", "reason"), [
    ("UPDATE case_audit SET reason = 'Đã sửa' WHERE dossier_id = $1 AND seq = 2", 2,
     "content was edited"),
    ("UPDATE case_audit SET at = at - interval '1 day' WHERE dossier_id = $1 AND seq = 3", 3,
     "content was edited"),
    ("DELETE FROM case_audit WHERE dossier_id = $1 AND seq = 2", 3, "entry 2 is missing"),
    ("UPDATE case_audit SET seq = 99 WHERE dossier_id = $1 AND seq = 2", 3, "reordered"),
    ("UPDATE case_audit SET reason = 'Đã sửa', entry_hash = case_audit_entry_hash(seq, "
     "dossier_id, at, actor, actor_role, action, from_status, to_status, 'Đã sửa', detail, "
     "prev_hash) WHERE dossier_id = $1 AND seq = 2", 3, "link"),  # rechained by hand
])
async def test_verify_names_the_first_entry_edited_removed_or_reordered(
        http: httpx.AsyncClient, deps, pool, tamper: str, first_bad: int, reason: str) -> None:
    code = await _worked_on(http, deps)
    dossier_id = await _dossier_id(pool, code)
    assert (await _verify(http, code))["ok"] is True
    expected_id = await pool.fetchval("SELECT id FROM case_audit WHERE dossier_id = $1 "
                                      "AND seq = $2", dossier_id, first_bad)
    await _past_the_triggers(pool, tamper, dossier_id)
    verdict = await _verify(http, code)
    assert verdict["ok"] is False and verdict["first_bad"]["position"] == first_bad
    assert reason in verdict["first_bad"]["reason"]
    assert verdict["first_bad"]["entry_id"] == str(expected_id)


async def test_verify_is_for_the_dossiers_department_only(http: httpx.AsyncClient, deps
                                                          ) -> None:
    code = await _worked_on(http, deps)
    assert (await http.get(f"/v1/dossiers/{code}/audit/verify")).status_code == 401
    other = await http.get(f"/v1/dossiers/{code}/audit/verify", headers=bearer("tp", "approver"))
    assert other.status_code == 404


async def test_the_events_on_kafka_carry_the_head_verify_recomputes(service) -> None:
    """As the service runs: the records on dossier.events, as any consumer reads them."""
    http, bootstrap = service["http"], service["bootstrap"]
    event, envelope = submission(FREE_AUTO, datetime.now(UTC))
    code = event.dossier_code
    publish(bootstrap, DOSSIER_EVENTS, [envelope])
    specialist = await sign_in(http, f"{OWN}.specialist")

    async def routed() -> bool:
        return (await http.get(f"/v1/dossiers/{code}", headers=specialist)).status_code == 200

    await wait_until(routed, timeout=30, description="routed")
    started = await http.post(f"/v1/dossiers/{code}/actions", headers=specialist,
                              json={"action": "start"})
    assert started.status_code == 200, started.text
    await wait_until(lambda: outbox_drained(service["db"]), timeout=30,
                     description="processing published everything")
    marker = uuid.uuid4()
    sentinel = Envelope.wrap(KafkaTestSentinel(), dossier_id=uuid.uuid4(), producer="test",
                             correlation_id=marker)
    conn = await asyncpg.connect(service["db"])
    try:
        partitions = await asyncio.to_thread(_partitions, bootstrap, DOSSIER_EVENTS)
        publish(bootstrap, DOSSIER_EVENTS, [sentinel] * partitions,
                partitions=list(range(partitions)))
        records = await asyncio.to_thread(read_to_sentinels, bootstrap, DOSSIER_EVENTS, marker)
        hashes = [r["entry_hash"] for r in await conn.fetch(
            "SELECT entry_hash FROM case_audit WHERE dossier_id = $1 ORDER BY seq",
            envelope.dossier_id)]
    finally:
        await conn.close()
    mine = [r for r in records if r.dossier_code == code and r.producer == "processing"]
    assert [r.event_type for r in mine] == ["DossierAccepted", "DossierProcessingStarted"]
    verdict = (await http.get(f"/v1/dossiers/{code}/audit/verify", headers=specialist)).json()
    assert verdict["ok"] is True and verdict["head"] == hashes[-1]
    assert mine[-1].payload["audit_head"] == verdict["head"]
    assert mine[0].payload["audit_head"] in hashes[:-1]


def _partitions(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"n-{uuid.uuid4()}"})
    try:
        return len(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
    finally:
        consumer.close()


async def test_the_console_shows_the_verdict_in_vietnamese(http: httpx.AsyncClient, deps,
                                                           pool) -> None:
    code = await _worked_on(http, deps)
    page = await http.get("/console/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    signed = await http.post("/console/sign-in", data={
        "username": f"{OWN}.specialist", "password": "dev-password",
        "csrf_token": csrf.group(1)})
    assert signed.status_code == 303, signed.text
    dossier = await http.get(f"/console/dossiers/{code}")
    assert "Kiểm chứng nhật ký" in dossier.text and 'id="audit-verify"' not in dossier.text
    intact = await http.get(f"/console/dossiers/{code}/verify")
    head = (await _verify(http, code))["head"]
    assert intact.status_code == 200 and "Nhật ký nguyên vẹn" in intact.text
    assert head in intact.text
    await _past_the_triggers(pool, "UPDATE case_audit SET reason = 'Đã sửa' "
                             "WHERE dossier_id = $1 AND seq = 2", await _dossier_id(pool, code))
    broken = await http.get(f"/console/dossiers/{code}/verify")
    assert "Nhật ký đã bị can thiệp: mục thứ 2 nội dung đã bị sửa" in broken.text
