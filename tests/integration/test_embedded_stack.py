"""The embedded stack: PostgreSQL, the broker, the SMTP sink and the launcher leave no process.

Processes are looked up with psutil. An exited orphan may linger as a zombie when the machine's
init does not reap (seen in some sandboxes); a zombie runs nothing, so it counts as gone.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import smtplib
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import asyncpg
import psutil
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.postgres import EmbeddedPostgres, server_processes
from deploy.local.smtp_sink import SmtpSink
from tests.support import free_port, wait_until

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """Like tmp_path, but short enough for a Unix socket path inside it."""
    with tempfile.TemporaryDirectory(prefix="mot-cua-test-") as path:
        yield Path(path)


def alive(pids: list[int]) -> list[int]:
    """The pids that still run (a zombie does not)."""
    running = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.append(pid)
        except psutil.NoSuchProcess:
            continue
    return running


def family(pid: int) -> list[int]:
    """A process and all its descendants."""
    proc = psutil.Process(pid)
    return [pid, *(child.pid for child in proc.children(recursive=True))]


async def test_postgres_starts_serves_and_stops_without_a_trace(short_tmp: Path) -> None:
    pg = EmbeddedPostgres(short_tmp / "pg", free_port(), log_dir=short_tmp).start()
    try:
        assert pg.pid is not None
        pids = family(pg.pid)
        conn = await asyncpg.connect(pg.url)
        assert await conn.fetchval("select 1") == 1
        await conn.close()
    finally:
        pg.stop()
    assert alive(pids) == []
    assert server_processes(short_tmp / "pg") == []


async def test_postgres_restarts_on_existing_data(short_tmp: Path) -> None:
    with EmbeddedPostgres(short_tmp / "pg", free_port(), log_dir=short_tmp) as pg:
        conn = await asyncpg.connect(pg.url)
        await conn.execute("create table kept (note text); insert into kept values ('còn đây')")
        await conn.close()
    with EmbeddedPostgres(short_tmp / "pg", free_port(), log_dir=short_tmp) as pg:
        conn = await asyncpg.connect(pg.url)
        assert await conn.fetchval("select note from kept") == "còn đây"
        await conn.close()


async def test_postgres_starts_over_a_killed_server(short_tmp: Path) -> None:
    pg = EmbeddedPostgres(short_tmp / "pg", free_port(), log_dir=short_tmp).start()
    assert pg.pid is not None
    os.kill(pg.pid, signal.SIGKILL)  # leaves postmaster.pid behind
    pg.stop()  # reaps it
    assert (short_tmp / "pg" / "postmaster.pid").exists()
    with EmbeddedPostgres(short_tmp / "pg", free_port(), log_dir=short_tmp) as again:
        conn = await asyncpg.connect(again.url)
        assert await conn.fetchval("select 1") == 1
        await conn.close()


HOLDER = """
import json, sys
from pathlib import Path
from deploy.local.broker import EmbeddedBroker
from deploy.local.postgres import EmbeddedPostgres
tmp, pg_port, kafka_port = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
pg = EmbeddedPostgres(tmp / "pg", pg_port, log_dir=tmp).start()
broker = EmbeddedBroker(kafka_port, log_dir=tmp).start()
print(json.dumps({"postgres": pg.pid, "broker": broker.pid}), flush=True)
sys.stdin.read()  # until killed
"""


async def test_a_killed_parent_leaves_no_orphan(short_tmp: Path) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(short_tmp), str(free_port()), str(free_port()),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=REPO,
    )
    try:
        assert holder.stdout is not None
        started = json.loads(await asyncio.wait_for(holder.stdout.readline(), 60))
        pids = [*family(started["postgres"]), started["broker"]]
        assert len(pids) > 2  # the postmaster has its helper processes
    finally:
        holder.kill()
        await holder.wait()
    await wait_until(lambda: not alive(pids), timeout=15,
                     description=f"every process of the killed holder to exit: {pids}")
    # PostgreSQL received SIGINT and shut down cleanly instead of just dying.
    assert "database system is shut down" in (short_tmp / "postgres.log").read_text()


async def test_the_broker_round_trips_a_message(kafka_bootstrap: str) -> None:
    topic = f"test.roundtrip.{uuid.uuid4().hex}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, "hồ sơ 1".encode(), key=b"dossier-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"dossier-1", "hồ sơ 1".encode())


async def test_the_smtp_sink_saves_each_message_as_eml(short_tmp: Path) -> None:
    message = EmailMessage()
    message["From"] = "mot-cua@example.gov.vn"
    message["To"] = "cong.dan@example.vn"
    message["Subject"] = "Hồ sơ của bạn đã được tiếp nhận"
    message.set_content("Xin chào, hồ sơ 000.00.00.H01-250101-0001 đã được tiếp nhận.")
    with SmtpSink(short_tmp / "mail", free_port()) as sink:
        with smtplib.SMTP(sink.host, sink.port) as client:
            client.send_message(message, to_addrs=["cong.dan@example.vn", "luu@example.gov.vn"])
        saved = await wait_until(sink.messages, timeout=5, description="a saved .eml")
    assert len(saved) == 1
    assert [p.name for p in (short_tmp / "mail").iterdir()] == [saved[0].name]  # no temp file
    parsed = BytesParser(policy=policy.default).parsebytes(saved[0].read_bytes())
    assert parsed["Subject"] == "Hồ sơ của bạn đã được tiếp nhận"
    assert parsed["X-RcptTo"] == "cong.dan@example.vn, luu@example.gov.vn"
    assert "000.00.00.H01-250101-0001" in parsed.get_content()


# The launcher, with stand-ins for the sandbox and the services (those have their own tests).
STUB = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit
class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
ThreadingHTTPServer(("127.0.0.1", urlsplit(sys.argv[1]).port), Ok).serve_forever()
"""
LAUNCHER = """
import dataclasses, os, sys
from pathlib import Path
from deploy.local.children import child_specs
from deploy.local.config import StackConfig
from deploy.local.launcher import Stack
cfg = StackConfig.from_env(os.environ, Path(sys.argv[1]), 0, 60.0)
stub = lambda s: dataclasses.replace(s, module="stub_http", args=(s.ready_url,))
sys.exit(Stack(cfg, [s if s.name == "smtp-sink" else stub(s) for s in child_specs(cfg)]).run())
"""
OWN_VARIABLES = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "SMTP_HOST", "SMTP_PORT",
                 "MOT_CUA_PG_PORT", "MOT_CUA_KAFKA_PORT", "SANDBOX_HTTP_PORT")


@dataclass
class Launched:
    proc: asyncio.subprocess.Process
    info: dict[str, Any]  # what MOT_CUA_READY said
    pids: list[int]  # everything the launcher started, and their children


@pytest.fixture
async def launched(short_tmp: Path) -> AsyncIterator[Launched]:
    """The launcher running on free ports, with stand-ins for the sandbox and services."""
    (short_tmp / "stub_http.py").write_text(STUB)
    env = {k: v for k, v in os.environ.items()
           if k not in OWN_VARIABLES and not k.endswith("_HTTP_PORT")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAUNCHER, str(short_tmp / "var"), cwd=REPO,
        env={**env, "PYTHONPATH": str(short_tmp)}, stdout=asyncio.subprocess.PIPE,
        start_new_session=True,  # signals reach it only from this test
    )
    assert proc.stdout is not None
    try:
        line = b""
        while not line.startswith(b"MOT_CUA_READY "):
            line = await asyncio.wait_for(proc.stdout.readline(), 90)
            assert line, "the launcher exited before it was ready"
        info = json.loads(line.removeprefix(b"MOT_CUA_READY "))
        yield Launched(proc, info, family(proc.pid)[1:])
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_the_launcher_stops_everything_in_order(launched: Launched) -> None:
    assert len(launched.pids) >= 9  # postgres (+ helpers), tansu, smtp sink, sandbox, 5 services
    conn = await asyncpg.connect(launched.info["database_url"])
    await conn.close()
    launched.proc.send_signal(signal.SIGINT)
    assert launched.proc.stdout is not None
    output = (await asyncio.wait_for(launched.proc.stdout.read(), 90)).decode()
    assert await launched.proc.wait() == 0
    order = ["notification: stopped", "stopping smtp-sink, sandbox", "kafka: stopped",
             "postgres: stopped", "everything stopped"]
    positions = [output.index(step) for step in order]
    assert positions == sorted(positions), output
    assert alive(launched.pids) == []


async def test_a_killed_launcher_leaves_no_orphan(launched: Launched) -> None:
    launched.proc.kill()
    await launched.proc.wait()
    await wait_until(lambda: not alive(launched.pids), timeout=30,
                     description=f"every process of the killed launcher to exit: {launched.pids}")
