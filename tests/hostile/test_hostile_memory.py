"""Finding 2: intake read up to ~70 MB before checking who sent it (eight unsigned 66 MiB
requests took it to 716 MiB), and a valid 50 MB dossier cost ~260 MB while handled.

Intake runs here as its own process, as in production, so the memory measured is its own.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from shared.portal.auth import signed_headers
from shared.portal.client import signed_request
from tests.integration.intake.support import PDF, SECRETS, submission
from tests.support import free_port, wait_until

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
HOSTILE_BODY = 66 * MiB


@pytest.fixture(scope="module")
def intake_process(postgres_url: str, kafka_bootstrap: str, tmp_path_factory) -> Iterator[dict]:
    port, folder = free_port(), tmp_path_factory.mktemp("intake-process")
    env = {**os.environ, "DATABASE_URL": postgres_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           "INTAKE_DATABASE_NAME": f"intake_rss_{uuid.uuid4().hex[:8]}",
           "INTAKE_HTTP_PORT": str(port), "INTAKE_DOCUMENT_DIR": str(folder / "documents"),
           "INTAKE_PORTAL_SECRETS": ";".join(f"{p}:{s}" for p, s in SECRETS.items()),
           "LOG_FORMAT": "json"}
    with open(folder / "intake.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "services.intake"], env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_until(lambda: _ready(url), timeout=60, description="intake ready"))
        yield {"url": url, "port": port, "process": psutil.Process(process.pid)}
    finally:
        process.terminate()
        process.wait(30)


async def _ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


def _head(port: int, headers: dict[str, str], length: int) -> bytes:
    lines = ["POST /v1/dossiers HTTP/1.1", f"Host: 127.0.0.1:{port}",
             "Content-Type: application/json", f"Content-Length: {length}",
             *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _status(port: int, headers: dict[str, str], length: int, body: int = 0) -> int:
    """The status of a request that declares ``length`` bytes and sends ``body`` of them."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_head(port, headers, length))
        chunk = b"x" * MiB
        try:
            for _ in range(body // MiB):
                writer.write(chunk)
                await writer.drain()
        except ConnectionError:
            pass  # refused mid-body: the answer is already there
        line = await asyncio.wait_for(reader.readline(), timeout=20)
        return int(line.split()[1])
    finally:
        writer.close()


def _stale(portal: str = "portal-a", **kw) -> dict[str, str]:
    return signed_headers(portal, SECRETS.get(portal, "x" * 16), b"", method="POST",
                          path="/v1/dossiers", **kw)


# Signed when the test runs, not when it is collected: a slow run can start this test past
# the signature's validity window.
@pytest.mark.parametrize(("headers", "status"), [
    (lambda: {**_stale(), "X-Portal-Id": "stranger"}, 401),
    (lambda: _stale(now=time.time() - 3600), 401),
    (lambda: {**_stale(), "X-Timestamp": "9" * 5000}, 401),
    (_stale, 413),  # a known portal, fresh: still more than the route takes
], ids=["unknown-portal", "stale", "absurd-timestamp", "fresh-but-too-large"])
async def test_a_request_is_judged_by_its_headers_before_its_body_is_read(
    intake_process: dict, headers: Callable[[], dict[str, str]], status: int,
) -> None:
    # The body is never sent: only an answer given before reading it can arrive.
    assert await _status(intake_process["port"], headers(), HOSTILE_BODY) == status


def _large_dossier(procedure: dict, folder: Path, total: int) -> tuple[dict, dict[str, Path]]:
    body = {k: v for k, v in submission(procedure).items() if k != "documents"}
    files, left = {}, total
    for requirement in procedure["required_documents"]:
        size = min(requirement["max_bytes"], left)
        if size <= len(PDF):
            break
        path = folder / f"{requirement['kind']}.pdf"
        path.write_bytes(PDF + os.urandom(size - len(PDF)))
        files[requirement["kind"]], left = path, left - size
    return body, files


async def test_memory_stays_bounded_under_hostile_and_large_uploads(
    intake_process: dict, tmp_path: Path,
) -> None:
    url, process = intake_process["url"], intake_process["process"]
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        procedures = (await http.get("/v1/procedures")).json()
        procedure = next(p for p in procedures
                         if any(d["kind"] == "ban_ve_thiet_ke" for d in p["required_documents"]))
        body, files = _large_dossier(procedure, tmp_path, 48 * MiB)
        baseline = process.memory_info().rss
        peak = baseline
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, process.memory_info().rss)
                await asyncio.sleep(0.01)

        sampler = asyncio.create_task(sample())
        stranger = {**_stale(), "X-Portal-Id": "stranger"}
        hostile = [_status(intake_process["port"], stranger, HOSTILE_BODY, HOSTILE_BODY)
                   for _ in range(8)]
        request = signed_request("POST", httpx.URL(url).join("/v1/dossiers"), "portal-a",
                                 SECRETS["portal-a"], body=body, files=files)
        statuses = await asyncio.gather(*hostile)
        created = await http.send(request)
        done.set()
        await sampler
    assert statuses == [401] * 8
    assert created.status_code == 201, created.text
    grew = (peak - baseline) / MiB
    assert grew < 64, f"intake's memory grew by {grew:.0f} MiB"
