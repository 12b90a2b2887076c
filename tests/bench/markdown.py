"""The latest run as Markdown: printed on the terminal and kept in docs/benchmarks.md between
two markers, so the hand-written history around it survives each run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bench.report import END, START, summary, targets


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join("—" if c is None else str(c) for c in row) + " |"
                    for row in rows]


def render(result: dict[str, Any]) -> str:
    m, flat, day = result["machine"], summary(result), result["national_day"]
    limits, ratios = flat["limits"], flat["ratios"]
    lines = [f"### Latest run: {day['dossiers']:,} dossiers, {m['date']}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, "
             f"Python {m['python']}, {m['os']}. Everything (broker, PostgreSQL, five services, "
             "sandboxes, load generator, observer) shares these cores.", "",
             f"Stack start (launcher to every service ready): {result.get('stack_ready_s')} s", "",
             "**Raw limits** (same run, stack idle)", ""]
    lines += _table(("limit", "value"), [
        ("Kafka produce → consume (aiokafka, 1 KiB, acks=all)",
         f"{limits['kafka_msgs_per_s']:,.0f} msgs/s"),
        ("PostgreSQL commits, one connection", f"{limits['pg_single_commits_per_s']:,.0f} /s"),
        (f"PostgreSQL commits, {limits['pg_concurrency']} connections",
         f"{limits['pg_concurrent_commits_per_s']:,.0f} /s")])
    lines += ["", "**HTTP intake** (`POST /v1/dossiers`; latency = scheduled send → answer; "
              "queue = submission → WorkItemQueued read by the department client)", ""]
    lines += _table(("offered /s", "accepted /s", "p50 ms", "p95 ms", "p99 ms", "queue p50 ms",
                     "queue p99 ms", "sustained"),
                    [(s["offered_per_s"] or f"max ({s['submitted']} in closed loop)",
                      s["accepted_per_s"], s["p50_ms"], s["p95_ms"], s["p99_ms"],
                      s["submit_to_queue"]["p50_ms"], s["submit_to_queue"]["p99_ms"],
                      "yes" if s["sustained"] else "no")
                     for s in result["http_intake"]["steps"]])
    lines += ["", f"Knee: {flat['http_knee_accepted_per_s']} accepted/s sustained; maximum "
              f"{flat['http_max_accepted_per_s']} /s "
              f"({ratios['http_max_to_pg_single_commits']} × single-connection commits/s).", "",
              f"**Kafka ingress** (`portal.submissions`): {result['kafka_ingress']}", "",
              f"**National day** ({day['ingress']} ingress, one burst)", ""]
    lines += _table(("figure", "value"), [
        ("dossiers / accepted / final", f"{day['dossiers']} / {day['accepted']} / {day['final']}"),
        ("time until all accepted", f"{day['all_accepted_s']} s"),
        ("time until all final", f"{day['all_final_s']} s" if day["all_final_s"] else
         f"not all final by the deadline: {day['final']} final, the last after "
         f"{day['last_final_s']} s"),
        ("events recorded / events per s", f"{day['events']} / {day['events_per_s']}"),
        ("publication → queue p50 / p99 (includes waiting for intake in the burst)",
         f"{day['submit_to_queue']['p50_ms']} / {day['submit_to_queue']['p99_ms']} ms"),
        ("registration → queue p50 / p99",
         f"{day['registered_to_queue']['p50_ms']} / {day['registered_to_queue']['p99_ms']} ms"),
        ("events/s ÷ Kafka msgs/s", ratios["events_per_s_to_kafka_msgs"]),
        ("events/s ÷ PostgreSQL concurrent commits/s",
         ratios["events_per_s_to_pg_concurrent_commits"]),
        ("accepted/s ÷ PostgreSQL concurrent commits/s",
         ratios["accepted_per_s_to_pg_concurrent_commits"]),
        ("reporting caught up after the day", f"{day.get('reporting_caught_up_s')} s"),
        ("CPU seconds by part", ", ".join(f"{k} {v}" for k, v in
                                          sorted(day["cpu_s"].items(), key=lambda kv: -kv[1]))),
        ("errors", ", ".join(day["errors"]) or "none")])
    lines += ["", "**Targets** (for 40,000 dossiers)", ""]
    lines += _table(("target", "measured", "goal", "verdict"), targets(result))
    return "\n".join(lines) + "\n"


def write(doc: Path, section: str) -> None:
    """Replace the latest-run section of ``doc``, keeping everything around it."""
    block = f"{START}\n{section}{END}"
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    doc.write_text(before + block + after)
