"""The load generator, run as its own process: ``python -m tests.bench.loadgen <spec json>``.

It submits dossiers the way portals do, signed with the portal's secret: over HTTP, or as one
burst of records on ``portal.submissions``. It writes one JSON line per submission to the output
file: ``[submission id, scheduled at, answered at, HTTP status, dossier code]`` (wall-clock
seconds, so the orchestrator can join them with what it observes on the broker; a Kafka record
is "answered" when the broker acknowledged it, with status 0 and no code). Latency is measured
from the *scheduled* send time, so a generator that falls behind shows up as latency instead of
hiding it (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared.contracts.topics import PORTAL_SUBMISSIONS
from shared.portal.client import kafka_record, signed_request
from tests.bench.submissions import SubmissionFactory

Record = list[Any]
OPEN_LOOP_CONNECTIONS = 256  # the client's pool (generate): at most this many in flight


class Portal:
    def __init__(self, http: httpx.AsyncClient, portal_id: str, secret: str) -> None:
        self.http, self.portal_id, self.secret = http, portal_id, secret

    async def submit(self, body: dict[str, Any], scheduled: float) -> Record:
        request = signed_request("POST", self.http.base_url.join("/v1/dossiers"),
                                 self.portal_id, self.secret, body=body)
        try:
            response = await self.http.send(request)
            status, code = response.status_code, response.json().get("dossier_code")
        except (httpx.HTTPError, ValueError) as error:
            status, code = 0, repr(error)
        return [body["portal_submission_id"], scheduled, time.time(), status, code]


async def open_loop(portal: Portal, factory: SubmissionFactory, rate: float,
                    duration_s: float, grace_s: float | None = None) -> list[Record]:
    """Offer ``rate`` submissions/s for ``duration_s``, whatever the answers take; with
    ``grace_s``, answers still missing that long after the last send are given up (status 0,
    code "abandoned": the soak measures a steady phase, not how long a backlog takes)."""
    started = time.time()
    tasks = []
    # Submissions beyond the connections wait here, in a queue that costs O(1) each: left
    # to httpcore's pool, thousands waiting cost O(n) per request and the generator itself
    # fell behind its schedule (a 2-minute soak on a saturated intake).
    connections = asyncio.Semaphore(OPEN_LOOP_CONNECTIONS)

    async def submit(n: int, scheduled: float) -> Record:
        async with connections:
            return await portal.submit(factory.submission(n), scheduled)

    for n in range(int(rate * duration_s)):
        scheduled = started + n / rate
        delay = scheduled - time.time()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the offered load, not synchronisation
        tasks.append(asyncio.create_task(submit(n, scheduled)))
    if grace_s is None:
        return list(await asyncio.gather(*tasks))
    await asyncio.wait(tasks, timeout=grace_s)
    records = []
    for n, task in enumerate(tasks):
        if task.done():
            records.append(task.result())
        else:
            task.cancel()
            records.append([factory.submission(n)["portal_submission_id"], started + n / rate,
                            time.time(), 0, "abandoned"])
    await asyncio.gather(*tasks, return_exceptions=True)
    return records


async def closed_loop(portal: Portal, factory: SubmissionFactory, clients: int,
                      count: int | None, duration_s: float | None) -> list[Record]:
    """``clients`` portal connections each submitting as soon as the previous answer came
    back, until ``count`` submissions were made or ``duration_s`` passed."""
    records: list[Record] = []
    numbers = iter(range(count if count is not None else 10**9))
    deadline = time.time() + duration_s if duration_s is not None else float("inf")

    async def client() -> None:
        for n in numbers:
            if time.time() >= deadline:
                return
            records.append(await portal.submit(factory.submission(n), time.time()))

    await asyncio.gather(*(client() for _ in range(clients)))
    return records


async def kafka_burst(spec: dict[str, Any], factory: SubmissionFactory) -> list[Record]:
    """Every submission published at once to ``portal.submissions``, as a national portal
    forwards its day; each is signed when it is sent."""
    producer = AIOKafkaProducer(bootstrap_servers=spec["bootstrap"], acks="all", linger_ms=20,
                                max_request_size=4 * 2**20)
    await producer.start()
    try:
        sent: list[tuple[str, float, asyncio.Future[Any]]] = []
        for n in range(spec["count"]):
            body = factory.submission(n)
            key, value, headers = kafka_record(spec["portal_id"], spec["secret"], body)
            sent.append((body["portal_submission_id"], time.time(),
                         await producer.send(PORTAL_SUBMISSIONS, value, key=key, headers=headers)))
        records = []
        for submission_id, at, ack in sent:
            await ack
            records.append([submission_id, at, time.time(), 0, None])
        return records
    finally:
        await producer.stop()


async def generate(spec: dict[str, Any]) -> list[Record]:
    limits = httpx.Limits(max_connections=spec.get("clients", 256), max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=spec["intake"], timeout=120, limits=limits) as http:
        factory = SubmissionFactory((await http.get("/v1/procedures")).json(), spec["tag"])
        portal = Portal(http, spec["portal_id"], spec["secret"])
        if spec["mode"] == "kafka":
            return await kafka_burst(spec, factory)
        if spec["mode"] == "open":
            return await open_loop(portal, factory, spec["rate"], spec["duration_s"],
                                   spec.get("grace_s"))
        return await closed_loop(portal, factory, spec["clients"], spec.get("count"),
                                 spec.get("duration_s"))


def main(spec: dict[str, Any]) -> None:
    records = asyncio.run(generate(spec))
    Path(spec["out"]).write_text("".join(json.dumps(r) + "\n" for r in records))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
