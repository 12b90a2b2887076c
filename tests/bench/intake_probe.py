"""``python -m tests.bench.intake_probe``: HTTP intake alone, small and repeatable, for the
optimisation log in docs/benchmarks.md (issue 17).

It starts the stack as the benchmark does (``stack.running_stack``), warms intake up, then
drives ``POST /v1/dossiers`` with the benchmark's load generator: ``--runs`` closed loops of
``--clients`` portals for ``--seconds`` each (the maximum), and one open loop at ``--rate``
(the latency at the issue's 50/s). It prints one JSON line per run with the accepted rate,
p50/p99, intake's CPU milliseconds per accepted dossier and every part's (the services, the
broker, PostgreSQL). ``--profile FILE`` samples intake
with py-spy during the closed loops (collapsed stacks, summarised at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import secrets
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from shared.runtime.settings import with_database
from tests.bench import profiling
from tests.bench.scenarios import http_step, run_loadgen
from tests.bench.stack import cpu_seconds_by_part, running_stack

PORTAL_ID = "bench-portal"


async def sample_db(url: str, seconds: float, into: collections.Counter[str]) -> None:
    """What intake's PostgreSQL sessions are doing, sampled every 50 ms: a crude wait profile
    (pg_stat_statements is not loaded by the local launcher)."""
    conn = await asyncpg.connect(url)
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            for row in await conn.fetch(
                    """SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') AS w,
                              left(regexp_replace(query, '\\s+', ' ', 'g'), 70) AS q
                       FROM pg_stat_activity WHERE datname = 'mot_cua_intake'
                         AND state <> 'idle' AND pid <> pg_backend_pid()"""):
                into[f"{row['state']:<20} {row['w']:<28} {row['q']}"] += 1
            await asyncio.sleep(0.05)  # the sampling period, not synchronisation
    finally:
        await conn.close()


def _cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def probe(info: dict[str, Any], args: argparse.Namespace, workdir: Path) -> None:
    portal = {"intake": info["services"]["intake"], "portal_id": PORTAL_ID,
              "secret": info["portal_secret"]}
    intake_pid = info["pids"]["intake"]
    await run_loadgen({**portal, "mode": "closed", "clients": 4, "count": 60, "tag": "warm"},
                      workdir)
    specs: list[dict[str, Any]] = [
        {"mode": "closed", "clients": args.clients, "duration_s": args.seconds,
         "tag": f"max{n}"} for n in range(args.runs)]
    if args.rate:
        specs.append({"mode": "open", "rate": args.rate, "duration_s": args.seconds,
                      "tag": f"open{args.rate}"})
    spy = None
    if args.profile:
        spy = subprocess.Popen([str(profiling.PY_SPY), "record", "--pid", str(intake_pid),  # noqa: ASYNC220
                                "--rate", "100", "--format", "raw", "--nonblocking",
                                "-o", str(args.profile)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    waits: collections.Counter[str] = collections.Counter()
    try:
        for spec in specs:
            before = _cpu_s(intake_pid)
            parts_before = cpu_seconds_by_part(info["launcher_pid"])
            sampler = asyncio.create_task(sample_db(
                with_database(info["database_url"], "mot_cua_intake"),
                args.seconds * 0.8, waits)) if args.sample_db and spec is specs[0] else None
            records = await run_loadgen({**portal, **spec}, workdir)
            if sampler is not None:
                await sampler
            used = _cpu_s(intake_pid) - before
            step = http_step(records, spec.get("rate"))
            step["intake_cpu_ms_per_dossier"] = round(1000 * used / max(step["accepted"], 1), 1)
            step["statuses"] = sorted({r[3] for r in records})
            # Every part's CPU over the loop, per accepted dossier: the stack shares the cores.
            step["stack_cpu_ms_per_dossier"] = {
                part: round(1000 * (used_s - parts_before.get(part, 0.0))
                            / max(step["accepted"], 1), 1)
                for part, used_s in sorted(cpu_seconds_by_part(info["launcher_pid"]).items())}
            print(json.dumps({"tag": spec["tag"], **step}), flush=True)
            if spy is not None and spec["mode"] == "closed" and spec is specs[args.runs - 1]:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
                spy = None
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
    if waits:
        total = sum(waits.values())
        print(f"intake's PostgreSQL sessions, {total} non-idle samples:")
        for what, n in waits.most_common(25):
            print(f"{n:6d}  {what}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.intake_probe",
                                     description=__doc__)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rate", type=int, default=50, help="open-loop rate (0: none)")
    parser.add_argument("--sample-db", action="store_true",
                        help="sample pg_stat_activity of intake during the first run")
    parser.add_argument("--profile", type=Path, default=None, metavar="FILE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mot-cua-probe-") as tmp:
        workdir = Path(tmp)
        secret = secrets.token_hex(16)
        with running_stack(workdir / "stack",
                           {"INTAKE_PORTAL_SECRETS": f"{PORTAL_ID}:{secret}"}) as info:
            info["portal_secret"] = secret
            asyncio.run(probe(info, args, workdir))
    if args.profile and args.profile.exists():
        print(profiling.summarise(args.profile, top=60))


if __name__ == "__main__":
    main()
