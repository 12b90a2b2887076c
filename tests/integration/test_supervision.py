"""The launcher keeps the stack running: kill -9 of a service, PostgreSQL or the broker under a
real launcher, and each comes back (the services are stand-ins here: the launcher is what is
tested; tests/chaos kills the real ones). Counts come from the launcher's status file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.runtime.outbox import BROKER_INCARNATION_TOPIC, BrokerIncarnation
from tests.integration.test_embedded_stack import OWN_VARIABLES, alive, family
from tests.support import wait_until

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]

# A stand-in service: serves 200 on its port; exits at once while <tmp>/crash-<name> exists.
STUB = """
import os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
name, url = sys.argv[1], sys.argv[2]
if (Path(os.environ["STUB_DIR"]) / f"crash-{name}").exists():
    sys.exit(3)
class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", urlsplit(url).port), Ok).serve_forever()
"""
LAUNCHER = """
import dataclasses, os, sys
from pathlib import Path
from deploy.local.children import child_specs
from deploy.local.config import StackConfig
from deploy.local.launcher import Stack
from deploy.local.supervision import RestartPolicy
cfg = StackConfig.from_env(os.environ, Path(sys.argv[1]), 0, 60.0)
stub = lambda s: dataclasses.replace(s, module="stub_http", args=(s.name, s.ready_url))
policy = RestartPolicy(initial_delay_s=0.2, max_delay_s=1.0, max_restarts=3, window_s=60)
specs = [s if s.name == "smtp-sink" else stub(s) for s in child_specs(cfg)]
sys.exit(Stack(cfg, specs, policy=policy).run())
"""


@dataclass
class Launched:
    proc: asyncio.subprocess.Process
    info: dict[str, Any]
    tmp: Path
    output: list[str]
    seen_pids: set[int]

    def status(self) -> dict[str, dict[str, Any]]:
        parts: dict[str, dict[str, Any]] = json.loads(
            Path(self.info["status_file"]).read_text())["parts"]
        for part in parts.values():
            if part["pid"]:
                self.seen_pids.add(part["pid"])
        return parts

    def events(self) -> list[dict[str, Any]]:
        log = Path(self.info["log_dir"]) / "supervisor.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()]

    def remember_family(self) -> None:
        for pid in family(self.proc.pid)[1:]:
            self.seen_pids.add(pid)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mot-cua-sup-") as path:
        yield Path(path)


@pytest.fixture
async def launched(short_tmp: Path) -> AsyncIterator[Launched]:
    (short_tmp / "stub_http.py").write_text(STUB)
    env = {k: v for k, v in os.environ.items()
           if k not in OWN_VARIABLES and not k.endswith("_HTTP_PORT")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LAUNCHER, str(short_tmp / "var"), cwd=REPO,
        env={**env, "PYTHONPATH": str(short_tmp), "STUB_DIR": str(short_tmp)},
        stdout=asyncio.subprocess.PIPE, start_new_session=True,
    )
    assert proc.stdout is not None
    output: list[str] = []
    try:
        line = b""
        while not line.startswith(b"MOT_CUA_READY "):
            line = await asyncio.wait_for(proc.stdout.readline(), 90)
            assert line, "the launcher exited before it was ready:\n" + "".join(output)
            output.append(line.decode())
        info = json.loads(line.removeprefix(b"MOT_CUA_READY "))
        launched = Launched(proc, info, short_tmp, output, set())
        launched.remember_family()
        reader = asyncio.create_task(_collect(proc.stdout, output))
        yield launched
        reader.cancel()
    finally:
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


async def _collect(stream: asyncio.StreamReader, output: list[str]) -> None:
    while line := await stream.readline():
        output.append(line.decode())


async def _serves(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def _stop(launched: Launched) -> int:
    launched.remember_family()
    launched.proc.send_signal(signal.SIGINT)
    return await asyncio.wait_for(launched.proc.wait(), 90)


async def test_a_killed_service_is_started_again_and_counted(launched: Launched) -> None:
    before = launched.status()["payment"]
    assert before["restarts"] == 0 and before["state"] == "ready"
    os.kill(before["pid"], signal.SIGKILL)

    def back() -> dict[str, Any] | None:
        now = launched.status()["payment"]
        return now if now["state"] == "ready" and now["pid"] != before["pid"] else None

    after = await wait_until(back, timeout=30, description="payment ready again")
    assert after["restarts"] == 1 and after["last_exit"] == "ended by SIGKILL"
    assert await _serves(launched.info["services"]["payment"])
    exited = [e for e in launched.events() if e["part"] == "payment" and e["event"] == "exited"]
    assert [e["exit"] for e in exited] == ["ended by SIGKILL"]
    assert all(launched.status()[name]["restarts"] == 0 for name in ("intake", "postgres"))

    assert await _stop(launched) == 0
    text = "".join(launched.output)
    assert "restarts: payment 1" in text and "everything stopped" in text
    await wait_until(lambda: not alive(sorted(launched.seen_pids)), timeout=15,
                     description="no process of the launcher left")


async def test_postgres_killed_comes_back_with_its_data_and_the_services_after_it(
        launched: Launched) -> None:
    url = launched.info["database_url"]
    conn = await asyncpg.connect(url)
    await conn.execute("create table kept (note text); insert into kept values ('còn đây')")
    await conn.close()
    before = launched.status()
    os.kill(before["postgres"]["pid"], signal.SIGKILL)

    def back() -> dict[str, Any] | None:
        now = launched.status()
        ok = (now["postgres"]["restarts"] == 1 and now["postgres"]["state"] == "running"
              and all(now[s]["state"] == "ready" and now[s]["pid"] != before[s]["pid"]
                      for s in launched.info["services"]))
        return now if ok else None

    now = await wait_until(back, timeout=60, description="postgres and the services back")
    conn = await asyncpg.connect(url)  # crash recovery kept the committed row
    assert await conn.fetchval("select note from kept") == "còn đây"
    await conn.close()
    assert now["sandbox"]["pid"] == before["sandbox"]["pid"]  # it does not need the database
    assert all(now[s]["restarts"] == 0 for s in launched.info["services"])  # not their fault
    assert await _stop(launched) == 0
    await wait_until(lambda: not alive(sorted(launched.seen_pids)), timeout=15,
                     description="no process of the launcher left")


async def _incarnation(bootstrap: str) -> str | None:
    reader = BrokerIncarnation(bootstrap, "test")
    try:
        return await reader()
    finally:
        await reader.close()


async def test_the_broker_killed_comes_back_with_a_new_incarnation(launched: Launched) -> None:
    bootstrap = launched.info["kafka_bootstrap_servers"]
    first = await _incarnation(bootstrap)
    assert first is not None
    before = launched.status()
    os.kill(before["kafka"]["pid"], signal.SIGKILL)

    def back() -> bool:
        now = launched.status()
        return (now["kafka"]["restarts"] == 1 and now["kafka"]["state"] == "running"
                and all(now[s]["state"] == "ready" for s in launched.info["services"]))

    await wait_until(back, timeout=60, description="the broker and the services back")
    second = await _incarnation(bootstrap)
    assert second is not None and second != first
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:  # the new broker started empty: only the new marker
        partition = TopicPartition(BROKER_INCARNATION_TOPIC, 0)
        assert (await consumer.end_offsets([partition]))[partition] == 1
    finally:
        await consumer.stop()
    marked = [e["incarnation"] for e in launched.events() if e["event"] == "broker-incarnation"]
    assert marked == [first, second]
    assert await _stop(launched) == 0
    await wait_until(lambda: not alive(sorted(launched.seen_pids)), timeout=15,
                     description="no process of the launcher left")


async def test_a_crash_loop_stops_the_stack_with_the_reason(launched: Launched) -> None:
    (launched.tmp / "crash-postal").touch()
    os.kill(launched.status()["postal"]["pid"], signal.SIGKILL)
    launched.remember_family()
    code = await asyncio.wait_for(launched.proc.wait(), 90)
    assert code == 1
    text = "".join(launched.output)
    assert "FAILED: postal exited (exit code 3) after 3 restarts within 60 s" in text, text
    assert "everything stopped" in text
    await wait_until(lambda: not alive(sorted(launched.seen_pids)), timeout=15,
                     description="no process of the launcher left")
