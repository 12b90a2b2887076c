"""``python -m tests.bench --dossiers N``: start the stack as ``make run`` does, measure the raw
limits, run the scenarios of issue 6, print the table and write docs/benchmarks.{md,json}."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import legs, limits, markdown, profiling, report, scenarios
from tests.bench import soak as soaking
from tests.bench.citizens import citizens
from tests.bench.department import departments
from tests.bench.measures import ServiceDatabases
from tests.bench.observer import Observer
from tests.bench.stack import MemorySampler, cpu_seconds_by_part, running_stack

DOCS = Path(__file__).resolve().parents[2] / "docs"
PORTAL_ID = "bench-portal"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=40_000,
                        help="dossiers in the national-day burst (default 40,000)")
    parser.add_argument("--step-seconds", type=float, default=None,
                        help="length of each HTTP load step (default 5 s, 15 s from 5,000 "
                        "dossiers)")
    parser.add_argument("--final-timeout", type=float, default=None,
                        help="how long the national day may take to become final "
                        "(default 120 s + 60 ms per dossier)")
    parser.add_argument("--department-fetch-wait-ms", type=int, default=20,
                        help="fetch_max_wait_ms of the simulated department client reading its "
                        "work topics (default 20: on Tansu aiokafka's 500 adds ~200 ms)")
    parser.add_argument("--docs", type=Path, default=DOCS,
                        help="where benchmarks.md and benchmarks.json are written")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="sample every service with py-spy during the national day")
    parser.add_argument("--soak-seconds", type=float, default=600,
                        help="the soak after the national day: 50 dossiers/s over HTTP for "
                        "this long, RSS and latency drift (default 600; 0 skips it)")
    parser.add_argument("--note", default=None,
                        help="a line printed with the run's figures (e.g. what else the "
                        "machine ran meanwhile)")
    parser.add_argument("--render", type=Path, default=None, metavar="JSON",
                        help="run nothing: rewrite the two files from a benchmarks.json's "
                        "details (after a change to the report)")
    parser.add_argument("--soak-rate", type=float, default=50,
                        help="the soak's offered submissions/s (default 50)")
    return parser.parse_args()


async def reporting_caught_up(reporting_url: str, timeout_s: float
                              ) -> tuple[float | None, float | None]:
    """Seconds after the day's end until reporting's consumer has read every record (its
    ``kafka_consumer_lag`` summed to 0, read from its /metrics), None past ``timeout_s``; and
    its lag (records) when the day ended."""
    started = time.monotonic()
    first: float | None = None
    while time.monotonic() - started < timeout_s:
        lag = await legs.consumer_lag(reporting_url, "reporting")
        first = lag if first is None else first
        if lag == 0:
            return round(time.monotonic() - started, 1), first
        await asyncio.sleep(0.5)  # polling a figure of another process: nothing to wait on
    return None, first


async def measure(info: dict[str, Any], args: argparse.Namespace, workdir: Path
                  ) -> dict[str, Any]:
    load_before = os.getloadavg()
    print("measuring the raw limits", flush=True)
    raw = await limits.measure(info["kafka_bootstrap_servers"], info["database_url"])
    print(f"  {raw}", flush=True)
    ctx = {"workdir": workdir, "dbs": ServiceDatabases(info["database_url"]),
           "portal": {"intake": info["services"]["intake"], "portal_id": PORTAL_ID,
                      "secret": info["portal_secret"],
                      "bootstrap": info["kafka_bootstrap_servers"]},
           "database_url": info["database_url"], "sandbox": info["sandbox_url"],
           "notification": info["services"]["notification"]}
    step_s = args.step_seconds or (15.0 if args.dossiers >= 5000 else 5.0)
    final_timeout = args.final_timeout or 120 + 0.06 * args.dossiers
    with MemorySampler(info["pids"]) as memory:
        async with departments(info["services"]["processing"]) as officers, \
                citizens() as crowd, \
                legs.moving_clocks(info["sandbox_url"]) as clocks, \
                Observer(info["kafka_bootstrap_servers"], officers, PORTAL_ID,
                         fetch_wait_ms=args.department_fetch_wait_ms,
                         citizens=crowd) as observer:
            print("HTTP intake", flush=True)
            http = await scenarios.http_intake(ctx, observer, step_s)
            print("HTTP floor (FastAPI + asyncpg, two inserts)", flush=True)
            http["floor"] = await scenarios.http_floor(ctx, step_s)
            print(f"national day: {args.dossiers} dossiers", flush=True)
            cpu_before = cpu_seconds_by_part(info["launcher_pid"])
            with profiling.profiled(info["pids"], args.profile):
                day = await scenarios.national_day(ctx, observer, args.dossiers, final_timeout)
            day["reporting_caught_up_s"], day["reporting_lag_at_end"] = \
                await reporting_caught_up(info["services"]["reporting"], final_timeout)
            cpu_after = cpu_seconds_by_part(info["launcher_pid"])
            day["cpu_s"] = {k: round(v - cpu_before.get(k, 0.0), 1) for k, v in cpu_after.items()}
            print(f"  {day}", flush=True)
            day["fees"] = {"paid": crowd.paid, "declined_first": crowd.declined}
            soak = None
            if args.soak_seconds > 0:
                print(f"soak: {args.soak_rate:g}/s for {args.soak_seconds:g} s", flush=True)
                soak = await soaking.soak(ctx, observer, memory, args.soak_seconds,
                                          args.soak_rate)
                print(f"  {soak}", flush=True)
            errors = officers.errors[:5] + crowd.errors[:5] + clocks.errors[:5]
            day["clock_moves"] = clocks.moves
    return {"machine": {**report.machine(),
                        "load_average_1_5_15": {"start": [round(x, 1) for x in load_before],
                                                "end": [round(x, 1) for x in os.getloadavg()]}},
            "stack_ready_s": info["stack_ready_s"],
            "limits": raw, "http_intake": http, "soak": soak,
            "kafka_ingress": f"{day['accepted_per_s']} dossiers/s accepted (the national day's "
                             "burst, receipts read on the portal's topic)",
            "national_day": day, "peak_rss_mb": memory.peaks, "approval_errors": errors}


def main() -> None:
    args = parse_args()
    if args.render is not None:
        details = json.loads(args.render.read_text())["details"]
        details["note"] = args.note or details.get("note")
        publish(details, args.docs)
        return
    with tempfile.TemporaryDirectory(prefix="mot-cua-bench-") as tmp:
        workdir = Path(tmp)
        secret = secrets.token_hex(16)
        env = {"INTAKE_PORTAL_SECRETS": f"{PORTAL_ID}:{secret}",
               # A parcel takes a carrier state per second of the carrier's clock (which
               # the bench moves: legs.LANES); postal hears of them by webhook only.
               "SANDBOX_CARRIER_STEP_S": str(legs.CARRIER_STEP_S),
               "POSTAL_POLL_AFTER_S": str(legs.POSTAL_POLL_AFTER_S)}
        with running_stack(workdir / "stack", env) as info:
            info["portal_secret"] = secret
            result = asyncio.run(measure(info, args, workdir))
            result["note"] = args.note
    if args.profile:
        for stacks in sorted(args.profile.iterdir()):
            print(profiling.summarise(stacks), "\n")
    publish(result, args.docs)


def publish(result: dict[str, Any], docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    # The raw figures first: a report that fails to render still leaves the run's data
    # (``--render`` writes the report from them once fixed).
    (docs / "benchmarks.json").write_text(json.dumps({"details": result}, indent=2,
                                                     ensure_ascii=False) + "\n")
    section = markdown.render(result)
    print(section)
    markdown.write(docs / "benchmarks.md", section)
    flat = {**report.summary(result), "machine": result["machine"], "details": result}
    (docs / "benchmarks.json").write_text(json.dumps(flat, indent=2, ensure_ascii=False)
                                          + "\n")


if __name__ == "__main__":
    main()
