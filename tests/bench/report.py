"""The benchmark's report: a table on the terminal, a section of docs/benchmarks.md, and
docs/benchmarks.json for tools. Throughputs are also given as ratios to the raw limits, so runs
on noisy machines compare; targets are for the national day of 40,000 dossiers."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

NATIONAL_DAY = 40_000
START, END = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->"


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
                 platform.processor())
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "cpu": model,
            "cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "os": platform.platform()}


def _verdict(value: float | None, target: float, unit: str, scale: float = 1.0) -> str:
    if value is None:
        return "not reached"
    projected = value * scale
    if projected <= target:
        return "met"
    return f"missed by {projected - target:,.0f} {unit} ({projected / target:.1f}× the goal)"


def targets(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(what, measured, target, verdict); times of a smaller run are scaled linearly to
    40,000 dossiers, which the verdict says."""
    day, steps = result["national_day"], result["http_intake"]["steps"]
    scale = NATIONAL_DAY / day["dossiers"]
    note = "" if scale == 1 else f" (×{scale:g} to 40,000, linear)"
    at_50 = next((s for s in steps if s["offered_per_s"] == 50), None)
    p99_50 = at_50["submit_to_queue"]["p99_ms"] if at_50 else None
    rows = [
        ("all accepted", f"{day['all_accepted_s']} s{note}", "≤ 60 s",
         _verdict(day["all_accepted_s"], 60, "s", scale)),
        ("all final", f"{day['all_final_s']} s{note}", "≤ 300 s",
         _verdict(day["all_final_s"], 300, "s", scale)),
        ("p99 registration → queue, burst", f"{day['registered_to_queue']['p99_ms']} ms",
         "≤ 1000 ms", _verdict(day["registered_to_queue"]["p99_ms"], 1000, "ms")),
        ("p99 publication → queue, burst", f"{day['submit_to_queue']['p99_ms']} ms",
         "≤ 1000 ms", _verdict(day["submit_to_queue"]["p99_ms"], 1000, "ms")),
        ("p99 submission → queue at 50/s", f"{p99_50} ms", "≤ 100 ms", _verdict(p99_50, 100, "ms")),
    ]
    rows += [(f"peak RSS {name}", f"{mb:.0f} MB", "≤ 200 MB", _verdict(mb, 200, "MB"))
             for name, mb in result["peak_rss_mb"].items()]
    return rows


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The flat figures of docs/benchmarks.json."""
    day, limits, http = result["national_day"], result["limits"], result["http_intake"]
    accepted_rate = day["accepted"] / day["all_accepted_s"] if day["all_accepted_s"] else None
    return {
        "dossiers": day["dossiers"], "ingress": day["ingress"],
        "all_accepted_s": day["all_accepted_s"], "all_final_s": day["all_final_s"],
        "final": day["final"], "events_per_s": day["events_per_s"],
        "p50_submit_to_queue_ms": day["submit_to_queue"]["p50_ms"],
        "p99_submit_to_queue_ms": day["submit_to_queue"]["p99_ms"],
        "p50_registered_to_queue_ms": day["registered_to_queue"]["p50_ms"],
        "p99_registered_to_queue_ms": day["registered_to_queue"]["p99_ms"],
        "http_knee_accepted_per_s": http["knee_accepted_per_s"],
        "http_max_accepted_per_s": http["max_accepted_per_s"],
        "kafka_ingress": result["kafka_ingress"],
        "peak_rss_mb": {k: round(v, 1) for k, v in result["peak_rss_mb"].items()},
        "limits": limits,
        "ratios": {
            "accepted_per_s_to_pg_concurrent_commits": _ratio(
                accepted_rate, limits["pg_concurrent_commits_per_s"]),
            "events_per_s_to_kafka_msgs": _ratio(day["events_per_s"], limits["kafka_msgs_per_s"]),
            "events_per_s_to_pg_concurrent_commits": _ratio(
                day["events_per_s"], limits["pg_concurrent_commits_per_s"]),
            "http_max_to_pg_single_commits": _ratio(
                http["max_accepted_per_s"], limits["pg_single_commits_per_s"]),
        },
    }


def _ratio(value: float | None, limit: float) -> float | None:
    return round(value / limit, 4) if value and limit else None
