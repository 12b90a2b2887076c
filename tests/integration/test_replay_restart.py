"""Replay changes nothing: after dossiers reached their result, the whole stack is stopped
and started again on the same data. The embedded broker comes back empty with a new
incarnation, so every relay republishes every event it sent and every consumer group reads
its topics again from the earliest offset. No table of any service changes (digests compared
before and after), and no side effect is sent again: the sandboxes' ledger (kept on disk
across the restart) and the SMTP sink stay as they were."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.runtime.settings import with_database
from tests.bench.stack import running_stack
from tests.chaos import harness

pytestmark = pytest.mark.e2e
SERVICES = ("intake", "processing", "payment", "postal", "notification")
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


@pytest.mark.timeout(600)
async def test_a_full_restart_replays_everything_and_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "stack"
    plan = harness.Plan(dossiers=DOSSIERS, kills=(), final_timeout_s=180,
                        calm_baseline=False)
    first = harness.Result(plan)
    secret = secrets.token_hex(16)
    env = harness.stack_env(secret, data)  # the sandboxes' record survives the restart
    reads: dict[str, set[str]] = {}  # what each group reads: its offsets die with the broker

    def calm_run() -> dict[str, Any]:
        with running_stack(data, env) as info:
            asyncio.run(harness._run(info, plan, secret, first))
            # Final is not quiet: the last delivery reports may still be on their way.
            asyncio.run(harness.settle(info, "the calm run's last report and event handled",
                                       reads=reads))
            before = asyncio.run(digests(info["database_url"]))
            ledger = httpx.get(f"{info['sandbox_url']}/_sandbox/ledger", timeout=30).json()
            emails = harness._emails(Path(info["smtp"]["maildir"]))[0]  # once quiet: all sent
        return {"info": info, "digests": before, "ledger": ledger, "emails": emails}

    ran = await asyncio.to_thread(calm_run)
    assert first.final == first.submitted == DOSSIERS, first.stuck
    before, emails, ledger = ran["digests"], ran["emails"], ran["ledger"]
    assert before["intake.dossier"] and emails > 0
    assert ledger["payments"] and ledger["shipments"] and ledger["sms"]

    def replay() -> dict[str, Any]:
        with running_stack(data, env) as info:
            return asyncio.run(_replayed(info, reads))

    after = await asyncio.to_thread(replay)
    assert after["republished_by"], "the relays saw a new broker and republished"
    assert after["digests"] == before
    assert after["ledger"] == ledger  # the sandboxes' record, and nothing sent again
    assert after["emails"] == emails  # the sink's folder survives; no email was sent again


async def _replayed(info: dict[str, Any], reads: dict[str, set[str]]) -> dict[str, Any]:
    server = info["database_url"]
    await harness.settle(info, "every republished event sent and read again", reads=reads)
    republished_by = []
    for service in SERVICES:
        log = Path(info["log_dir"]) / f"{service}.log"
        if "republishing retained events" in log.read_text():
            republished_by.append(service)
    async with httpx.AsyncClient(timeout=30) as http:
        ledger = (await http.get(f"{info['sandbox_url']}/_sandbox/ledger")).json()
    return {"digests": await digests(server), "republished_by": republished_by,
            "ledger": ledger, "emails": harness._emails(Path(info["smtp"]["maildir"]))[0]}
