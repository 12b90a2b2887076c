"""Replay changes nothing: after dossiers reached their result, the whole stack is stopped
and started again on the same data. The embedded broker comes back empty with a new
incarnation, so every relay republishes every event it sent and every consumer group reads
its topics again from the earliest offset. No table of any service changes (digests compared
before and after), and no side effect is sent again: the new sandbox's ledger and the SMTP
sink stay as they were."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from deploy import ops
from shared.runtime.settings import with_database
from tests.bench.stack import running_stack
from tests.chaos import harness
from tests.support import wait_until

pytestmark = pytest.mark.e2e
SERVICES = ("intake", "processing", "payment", "postal", "notification")
GROUPS = (*SERVICES, "reporting", "intake.portal.submissions")
DOSSIERS = 10  # with and without a fee, online and by post, SMS reports of every kind
# The relay's own bookkeeping of what it sent where moves on a republish, by design.
MOVES_ON_REPUBLISH = {"outbox_broker_incarnation"}


async def digests(server_url: str) -> dict[str, str]:
    """``<service>.<table>`` -> a digest of every row (the outbox without its sent_at)."""
    found: dict[str, str] = {}
    for service in SERVICES:
        conn = await asyncpg.connect(with_database(server_url, f"mot_cua_{service}"))
        try:
            tables = [r["tablename"] for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            for table in sorted(set(tables) - MOVES_ON_REPUBLISH):
                columns = ("id, event_id, topic, key, payload, headers, created_at"
                           if table == "outbox_message" else f"{table}.*")
                found[f"{service}.{table}"] = await conn.fetchval(
                    f"""SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))
                        FROM (SELECT {columns} FROM {table}) AS r""")  # noqa: S608
        finally:
            await conn.close()
    return found


async def unfinished_messages(server_url: str) -> int:
    """Notification's messages still to send (its side-effect loop's work)."""
    conn = await asyncpg.connect(with_database(server_url, "mot_cua_notification"))
    try:
        return await conn.fetchval("SELECT count(*) FROM message WHERE status = 'pending'")
    finally:
        await conn.close()


async def reports_to_come(sandbox_url: str) -> int:
    """Delivery reports the eSMS sandbox has still to deliver (none answered 200 yet, tries
    left). A number whose scenario never reports a final state (``…0002``) gets its "waiting"
    report too, and that one is answered: after this, nothing will move a message again."""
    async with httpx.AsyncClient(timeout=30) as http:
        reports = (await http.get(f"{sandbox_url}/sms/_sandbox/esms/ledger")).json()["reports"]
    return sum(1 for r in reports if "200" not in r["answers"] and r["tries"] < 5)


async def quiet(info: dict[str, Any]) -> bool:
    """Nothing left to happen: no message to send, no delivery report to come, no event
    unsent in any outbox and none unread by any consumer group. Lag is read before and after
    the outboxes: a consumer that handled a record between the two reads would have written
    its events into an outbox first, and a relay that published them would show as lag."""
    server = info["database_url"]
    target = ops.Target(server, info["kafka_bootstrap_servers"])

    async def no_lag() -> bool:
        lag = await ops.consumer_lag(target, GROUPS)
        return bool(lag) and not any(lag.values())

    return (await unfinished_messages(server) == 0
            and await reports_to_come(info["sandbox_url"]) == 0
            and await no_lag() and await republished(server) == 0 and await no_lag())


async def settle(info: dict[str, Any], description: str) -> None:
    await wait_until(lambda: quiet(info), timeout=240, interval=0.5, description=description)


async def republished(server_url: str) -> int:
    total = 0
    for service in SERVICES:
        conn = await asyncpg.connect(with_database(server_url, f"mot_cua_{service}"))
        try:
            total += await conn.fetchval(
                "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL")
        finally:
            await conn.close()
    return total


@pytest.mark.timeout(600)
async def test_a_full_restart_replays_everything_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "stack"
    plan = harness.Plan(dossiers=DOSSIERS, kills=(), final_timeout_s=180)
    first = harness.Result(plan)
    secret = secrets.token_hex(16)
    env = {"INTAKE_PORTAL_SECRETS": f"{harness.PORTAL_ID}:{secret}"}

    def calm_run() -> dict[str, Any]:
        with running_stack(data, env) as info:
            asyncio.run(harness._run(info, plan, secret, first))
            # Final is not quiet: the last delivery reports may still be on their way.
            asyncio.run(settle(info, "the calm run's last report and event handled"))
            before = asyncio.run(digests(info["database_url"]))
        return {"info": info, "digests": before}

    ran = await asyncio.to_thread(calm_run)
    assert first.final == first.submitted == DOSSIERS, first.stuck
    before, emails = ran["digests"], first.effects["emails"]
    assert before["intake.dossier"] and emails > 0

    def replay() -> dict[str, Any]:
        with running_stack(data, env) as info:
            return asyncio.run(_replayed(info))

    after = await asyncio.to_thread(replay)
    assert after["republished_by"], "the relays saw a new broker and republished"
    assert after["digests"] == before
    assert after["ledger"] == {"payments": [], "shipments": [], "sms": []}  # nothing resent
    assert after["emails"] == emails  # the sink's folder survives; no email was sent again


async def _replayed(info: dict[str, Any]) -> dict[str, Any]:
    server = info["database_url"]
    await settle(info, "every republished event sent and read again")
    republished_by = []
    for service in SERVICES:
        log = Path(info["log_dir"]) / f"{service}.log"
        if "republishing retained events" in log.read_text():
            republished_by.append(service)
    async with httpx.AsyncClient(timeout=30) as http:
        ledger = (await http.get(f"{info['sandbox_url']}/_sandbox/ledger")).json()
    return {"digests": await digests(server), "republished_by": republished_by,
            "ledger": ledger, "emails": harness._emails(Path(info["smtp"]["maildir"]))[0]}
