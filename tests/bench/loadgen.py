"""The load generator, run as its own process: ``python -m tests.bench.loadgen <spec json>``.

It submits dossiers the way portals do and writes one JSON line per submission to the output
file: ``[submission id, scheduled at, answered at, HTTP status, dossier code]`` (wall-clock
seconds, so the orchestrator can join them with what it observes on the broker). Latency is
measured from the *scheduled* send time, so a generator that falls behind shows up as latency
instead of hiding it (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.bench.submissions import SubmissionFactory

Record = list[Any]


async def _submit(http: httpx.AsyncClient, body: dict[str, Any], scheduled: float) -> Record:
    try:
        response = await http.post("/v1/dossiers", json=body)
        status, code = response.status_code, response.json().get("dossier_code")
    except (httpx.HTTPError, ValueError) as error:
        status, code = 0, repr(error)
    return [body["portal_submission_id"], scheduled, time.time(), status, code]


async def open_loop(http: httpx.AsyncClient, factory: SubmissionFactory, rate: float,
                    duration_s: float) -> list[Record]:
    """Offer ``rate`` submissions/s for ``duration_s``, whatever the answers take."""
    count = int(rate * duration_s)
    started = time.time()
    tasks = []
    for n in range(count):
        scheduled = started + n / rate
        delay = scheduled - time.time()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the offered load, not synchronisation
        tasks.append(asyncio.create_task(_submit(http, factory.submission(n), scheduled)))
    return list(await asyncio.gather(*tasks))


async def closed_loop(http: httpx.AsyncClient, factory: SubmissionFactory, clients: int,
                      count: int | None, duration_s: float | None) -> list[Record]:
    """``clients`` portals each submitting as soon as the previous answer came back, until
    ``count`` submissions were made or ``duration_s`` passed."""
    records: list[Record] = []
    numbers = iter(range(count if count is not None else 10**9))
    deadline = time.time() + duration_s if duration_s is not None else float("inf")

    async def client() -> None:
        for n in numbers:
            if time.time() >= deadline:
                return
            records.append(await _submit(http, factory.submission(n), time.time()))

    await asyncio.gather(*(client() for _ in range(clients)))
    return records


async def generate(spec: dict[str, Any]) -> list[Record]:
    limits = httpx.Limits(max_connections=spec.get("clients", 256), max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=spec["intake"], timeout=120, limits=limits) as http:
        procedures = (await http.get("/v1/procedures")).json()
        factory = SubmissionFactory(procedures, spec["portal"])
        if spec["mode"] == "open":
            records = await open_loop(http, factory, spec["rate"], spec["duration_s"])
        else:
            records = await closed_loop(http, factory, spec["clients"], spec.get("count"),
                                        spec.get("duration_s"))
    return records


def main(spec: dict[str, Any]) -> None:
    records = asyncio.run(generate(spec))
    Path(spec["out"]).write_text("".join(json.dumps(r) + "\n" for r in records))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
