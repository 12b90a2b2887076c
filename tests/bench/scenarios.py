"""The scenarios of issue 6, each returning plain figures for the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from shared.runtime.settings import with_database
from tests.bench import legs
from tests.bench.measures import ServiceDatabases, percentiles_ms
from tests.bench.observer import Observer
from tests.support import free_port, wait_until

LADDER = (50, 200, 400, 800, 1600)  # offered submissions/s, stepped until intake saturates
MAX_CLIENTS = 64  # portals submitting back to back: the "maximum" offered load


async def run_loadgen(spec: dict[str, Any], workdir: Path) -> list[list[Any]]:
    """The load generator in its own process; its records once it is done."""
    out = workdir / f"{spec['tag']}.jsonl"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bench.loadgen", json.dumps({**spec, "out": str(out)}))
    try:
        code = await process.wait()
    finally:
        if process.returncode is None:  # the bench was interrupted: no orphan load
            process.kill()
            await process.wait()
    if code != 0:
        raise RuntimeError(f"the load generator failed on {spec['tag']}")
    return [json.loads(line) for line in out.read_text().splitlines()]


async def drain(observer: Observer, dbs: ServiceDatabases, tag: str, expected: int,
                deadline_s: float) -> bool:
    """Wait until every dossier of scenario ``tag`` is final and no service has unsent events."""
    async def settled() -> bool:
        return len([c for c in observer.seen.codes_of(tag) if c in observer.seen.final_at]) \
            >= expected and await dbs.unsent_events() == 0
    try:
        await wait_until(settled, timeout=deadline_s, interval=0.5, description=f"{tag} final")
    except TimeoutError:
        return False
    return True


def submit_to_queue_s(observer: Observer, tag: str, records: list[list[Any]]) -> list[float]:
    scheduled = {r[0]: r[1] for r in records}
    seen = observer.seen
    return [seen.queued_at[c] - scheduled[seen.submission_of[c]]
            for c in seen.codes_of(tag) if c in seen.queued_at]


def registered_to_queue_s(observer: Observer, tag: str) -> list[float]:
    """From intake's registration (received_at) to the department's queue: the pipeline alone,
    without the time a submission waited in a burst before intake took it."""
    seen = observer.seen
    return [seen.queued_at[c] - seen.registered_at[c]
            for c in seen.codes_of(tag) if c in seen.queued_at]


def http_step(records: list[list[Any]], offered: float | None) -> dict[str, Any]:
    accepted = [r for r in records if r[3] == 201]
    span = max(r[2] for r in records) - min(r[1] for r in records)
    rate = len(accepted) / span if span > 0 else 0.0
    step = {"offered_per_s": offered, "submitted": len(records), "accepted": len(accepted),
            "accepted_per_s": round(rate, 1), **percentiles_ms([r[2] - r[1] for r in accepted])}
    step["sustained"] = offered is None or (
        rate >= 0.95 * offered and len(accepted) == len(records)
        and (step["p99_ms"] or 0) <= 1000)
    return step


async def _http_run(ctx: dict[str, Any], observer: Observer, spec: dict[str, Any]
                    ) -> dict[str, Any]:
    records = await run_loadgen({**ctx["portal"], **spec}, ctx["workdir"])
    step = http_step(records, spec.get("rate"))
    step["drained"] = await drain(observer, ctx["dbs"], spec["tag"], step["accepted"],
                                  deadline_s=120 + step["accepted"] / 20)
    step["submit_to_queue"] = percentiles_ms(submit_to_queue_s(observer, spec["tag"], records))
    step["registered_to_queue"] = percentiles_ms(registered_to_queue_s(observer, spec["tag"]))
    print(f"  http {spec['tag']}: {json.dumps(step)}", flush=True)
    return step


async def http_intake(ctx: dict[str, Any], observer: Observer, step_s: float) -> dict[str, Any]:
    """Open-loop steps of offered load until one is not sustained, then the closed-loop
    maximum; the system drains between steps so each starts idle."""
    # Warm-up, not reported: officers sign in, connections and statement caches fill.
    await _http_run(ctx, observer, {"mode": "closed", "clients": 4, "count": 40, "tag": "warmup"})
    steps = []
    for rate in LADDER:
        spec = {"mode": "open", "rate": rate, "duration_s": step_s, "tag": f"http{rate}"}
        steps.append(await _http_run(ctx, observer, spec))
        if not steps[-1]["sustained"]:
            break
    steps.append(await _http_run(ctx, observer, {"mode": "closed", "clients": MAX_CLIENTS,
                                                 "duration_s": step_s, "tag": "httpmax"}))
    sustained = [s for s in steps if s["offered_per_s"] and s["sustained"]]
    knee = max(sustained, key=lambda s: s["accepted_per_s"]) if sustained else None
    return {"steps": steps, "knee_accepted_per_s": knee["accepted_per_s"] if knee else None,
            "max_accepted_per_s": steps[-1]["accepted_per_s"]}


async def national_day(ctx: dict[str, Any], observer: Observer, dossiers: int,
                       final_timeout: float) -> dict[str, Any]:
    """N dossiers published to ``portal.submissions`` as one burst, carried to their result by
    the simulated departments. Accepted = the portal read an "accepted" receipt."""
    started = time.time()
    records = await run_loadgen({**ctx["portal"], "mode": "kafka", "count": dossiers,
                                 "tag": "national"}, ctx["workdir"])
    seen = observer.seen
    try:
        await wait_until(lambda: seen.receipts_of("national") >= dossiers, timeout=final_timeout,
                         interval=0.5, description="a receipt for every submission")
    except TimeoutError:
        pass  # reported below as fewer accepted than submitted
    first = min(r[1] for r in records)
    accepted = [seen.accepted_at[r[0]] for r in records if r[0] in seen.accepted_at]
    all_accepted_s = max(accepted) - first if len(accepted) == dossiers else None
    done = await drain(observer, ctx["dbs"], "national", len(accepted),
                       final_timeout - (time.time() - started))
    final = [seen.final_at[c] for c in seen.codes_of("national") if c in seen.final_at]
    last_result_s = max(final) - first if final else None
    outside = await every_leg(ctx, observer, "national",
                              max(10.0, final_timeout - (time.time() - started)))
    ends = [max(final) if final else None, outside["fees"]["last_paid_at"],
            outside["parcels"]["last_delivered_at"], outside["sms"]["last_delivered_at"]]
    last_final_s = max(e for e in ends if e is not None) - first if final else None
    events = await ctx["dbs"].events_since(started)
    return {
        "ingress": "kafka", "dossiers": dossiers, "accepted": len(accepted), "final": len(final),
        "all_accepted_s": round(all_accepted_s, 1) if all_accepted_s else None,
        "accepted_per_s": round(len(accepted) / (max(accepted) - first), 1) if accepted else None,
        "all_results_s": round(last_result_s, 1) if done and last_result_s else None,
        "all_final_s": round(last_final_s, 1)
        if done and outside["complete"] and last_final_s else None,
        "last_final_s": round(last_final_s, 1) if last_final_s else None,
        "legs": outside,
        "events": events,
        "events_per_s": round(events / last_final_s, 1) if last_final_s else None,
        "submit_to_queue": percentiles_ms(submit_to_queue_s(observer, "national", records)),
        "registered_to_queue": percentiles_ms(registered_to_queue_s(observer, "national")),
        "errors": sorted({"; ".join(r) for r in
                          (seen.refused.get(rec[0]) for rec in records) if r})[:5],
    }


async def every_leg(ctx: dict[str, Any], observer: Observer, tag: str, timeout_s: float
                    ) -> dict[str, Any]:
    """Wait (at most ``timeout_s``) until every fee of scenario ``tag`` is paid, every parcel
    delivered and every SMS reported delivered, as the services' own tables and the sandboxes'
    ledgers say; what they say either way."""
    seen = observer.seen
    codes = seen.codes_of(tag)
    fees_expected = len(seen.fee_requested.intersection(codes))
    postal_expected = len(seen.postal.intersection(codes))
    last: dict[str, Any] = {}

    async def done() -> bool:
        # Notification must have read every event, or an SMS may be still to come.
        if await legs.consumer_lag(ctx["notification"], "notification") not in (0, None):
            return False
        last.update(await legs.legs_of(ctx["database_url"], codes))
        return legs.complete(last, fees_expected=fees_expected, postal_expected=postal_expected)

    with contextlib.suppress(TimeoutError):
        await wait_until(done, timeout=timeout_s, interval=1.0, description=f"{tag} legs")
    if not last:
        last.update(await legs.legs_of(ctx["database_url"], codes))
    return {**last, "fees_expected": fees_expected, "postal_expected": postal_expected,
            "complete": legs.complete(last, fees_expected=fees_expected,
                                      postal_expected=postal_expected),
            "carrier_ledger": await legs.carrier_ledger(ctx["sandbox"], codes),
            "sms_ledger": await legs.sms_ledger(ctx["sandbox"])}


async def http_floor(ctx: dict[str, Any], step_s: float) -> dict[str, Any]:
    """The floor (``tests.bench.floor``) on a free port against the same PostgreSQL, driven by
    the same load generator in the same closed loop as intake's maximum."""
    workdir: Path = ctx["workdir"]
    async with httpx.AsyncClient(base_url=ctx["portal"]["intake"], timeout=30) as http:
        (workdir / "procedures.json").write_text((await http.get("/v1/procedures")).text)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    spec = {"database_url": with_database(ctx["database_url"], "bench_floor"),
            "procedures": str(workdir / "procedures.json"), "port": port}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.bench.floor", json.dumps(spec))
    try:
        async def up() -> bool:
            async with httpx.AsyncClient(timeout=2) as http:
                with contextlib.suppress(httpx.HTTPError):
                    return (await http.get(f"{url}/v1/procedures")).status_code == 200
            return False
        await wait_until(up, timeout=60, interval=0.2, description="the floor server")
        portal = {**ctx["portal"], "intake": url}
        await run_loadgen({**portal, "mode": "closed", "clients": 4, "count": 40,
                           "tag": "floorwarmup"}, workdir)
        records = await run_loadgen({**portal, "mode": "closed", "clients": MAX_CLIENTS,
                                     "duration_s": step_s, "tag": "floor"}, workdir)
        step = http_step(records, None)
        print(f"  http floor: {json.dumps(step)}", flush=True)
        return step
    finally:
        process.terminate()
        await process.wait()
