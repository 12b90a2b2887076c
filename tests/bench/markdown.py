"""The latest run as Markdown: printed on the terminal and kept in docs/benchmarks.md between
two markers, so the hand-written history around it survives each run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bench.report import END, START, cpu_per_dossier_ms, http_figures, summary, targets
from tests.bench.soak import LATENCY_FLAT_MS_PER_MIN, RSS_FLAT_MB_PER_MIN


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
             "sandboxes, load generator, observer) shares these cores"
             + (f"; load average (1, 5, 15 min) {m['load_average_1_5_15']['start']} at the "
                f"start, {m['load_average_1_5_15']['end']} at the end."
                if m.get("load_average_1_5_15") else "."), "",
             *([f"**Note:** {result['note']}", ""] if result.get("note") else []),
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
    http = http_figures(result["http_intake"])
    floor = result["http_intake"].get("floor") or {}
    lines += ["", f"Knee: {flat['http_knee_accepted_per_s']} accepted/s sustained; maximum "
              f"{flat['http_max_accepted_per_s']} /s "
              f"({ratios['http_max_to_pg_single_commits']} × single-connection commits/s).", "",
              f"**HTTP floor** (same run, same load generator, closed loop of the same "
              f"clients: FastAPI + asyncpg, one uvicorn worker with intake's settings, two "
              f"INSERTs in one transaction, `tests/bench/floor.py`): "
              f"{floor.get('accepted_per_s')} /s (p50 {floor.get('p50_ms')} / p99 "
              f"{floor.get('p99_ms')} ms, {ratios['http_floor_to_pg_single_commits']} × "
              f"single-connection commits/s). Intake's maximum ÷ floor: "
              f"**{http['intake_to_floor']}**.", "",
              f"**Kafka ingress** (`portal.submissions`): {result['kafka_ingress']}", "",
              f"**National day** ({day['ingress']} ingress, one burst)", ""]
    lines += _table(("figure", "value"), [
        ("dossiers / accepted / final", f"{day['dossiers']} / {day['accepted']} / {day['final']}"),
        ("time until all accepted", f"{day['all_accepted_s']} s"),
        ("time until all final (every leg)", f"{day['all_final_s']} s" if day["all_final_s"] else
         f"not all final by the deadline: {day['final']} final, the last after "
         f"{day['last_final_s']} s"),
        ("events recorded / events per s", f"{day['events']} / {day['events_per_s']}"),
        ("publication → queue p50 / p99 (includes waiting for intake in the burst)",
         f"{day['submit_to_queue']['p50_ms']} / {day['submit_to_queue']['p99_ms']} ms"),
        ("registration → queue p50 / p99",
         f"{day['registered_to_queue']['p50_ms']} / {day['registered_to_queue']['p99_ms']} ms"),
        *_legs_rows(day),
        ("reporting caught up after the day (its lag then)",
         f"{day.get('reporting_caught_up_s')} s ({day.get('reporting_lag_at_end')} records)"),
        ("CPU seconds by part", ", ".join(f"{k} {v}" for k, v in
                                          sorted(day["cpu_s"].items(), key=lambda kv: -kv[1]))),
        ("CPU ms per dossier by part (whole stack: total)",
         ", ".join(f"{k} {v}" for k, v in cpu_per_dossier_ms(day["cpu_s"], day["dossiers"])
                   .items())),
        ("errors", ", ".join(day["errors"]) or "none")])
    lines += ["", "**Every figure against the raw limits of this run** (rates ÷ the limit; "
              "times in units of one raw commit on one connection, "
              f"{1000 / limits['pg_single_commits_per_s']:.2f} ms)", ""]
    lines += _table(("figure", "ratio"), [(k.replace("_", " "), v) for k, v in ratios.items()])
    if result.get("soak"):
        lines += ["", *_soak(result["soak"])]
    lines += ["", "**Targets** (issue 17, for 40,000 dossiers)", ""]
    lines += _table(("target", "measured", "goal", "verdict"), targets(result))
    return "\n".join(lines) + "\n"


def _pairs(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items())


def _legs_rows(day: dict[str, Any]) -> list[tuple[str, str]]:
    legs = day.get("legs")
    if not legs:
        return []
    fee, parcel, sms = legs["fees"], legs["parcels"], legs["sms"]
    carrier, texts = legs["carrier_ledger"], legs["sms_ledger"]
    return [
        ("time until every result returned (postal ones delivered)",
         f"{day.get('all_results_s')} s"),
        ("fees: requested / paid / settled by IPN (other settlements)",
         f"{fee['fees']} / {fee['paid']} / {fee['paid_by_ipn']} "
         f"({_pairs({k: v for k, v in fee['settled_by'].items() if k != 'ipn'}) or 'none'})"),
        ("parcels: postal dossiers / shipments / delivered (postal's table)",
         f"{legs['postal_expected']} / {parcel['shipments']} / {parcel['delivered']}"),
        ("carrier sandbox: orders / delivered / delivered webhook answered 200 / webhooks "
         "(tries, unanswered)",
         f"{carrier['orders']} / {carrier['delivered']} / "
         f"{carrier['delivered_webhook_acknowledged']} / {carrier['webhooks']} "
         f"({carrier['webhook_tries']}, {carrier['webhooks_unanswered']})"),
        ("SMS: sent / reported delivered (notification's messages; by status)",
         f"{sms['sms']} / {sms['delivered']} "
         f"({_pairs(sms['by_status'])})"),
        ("SMS sandbox, whole run: accepted / delivery reports answered 200 / not sent yet",
         f"{texts['accepted']} / {texts['reports_acknowledged']} / "
         f"{texts.get('reports_not_sent_yet')}"),
        ("every leg final", "yes" if legs["complete"] else "no"),
    ]


def _soak(soak: dict[str, Any]) -> list[str]:
    lat = soak["latency"]
    lines = [f"**Soak** ({soak['offered_per_s']:g} submissions/s offered over HTTP for "
             f"{soak['seconds']:g} s after the national day: {soak['submitted']} submitted, "
             f"{soak['accepted']} accepted ({soak['accepted_per_s']} /s), "
             f"{soak.get('abandoned', 0)} unanswered 30 s after the last send and given up, "
             f"{soak['queued']} reached the queue; HTTP p50 / p99 {soak['http']['p50_ms']} / "
             f"{soak['http']['p99_ms']} ms). RSS slope by least squares over the soak's "
             f"samples; flat = |slope| < {RSS_FLAT_MB_PER_MIN:g} MB/min, latency flat = "
             f"|slope| < {LATENCY_FLAT_MS_PER_MIN:g} ms/min (why: `tests/bench/soak.py`).", ""]
    lines += _table(("service", "RSS first / last / max MB", "slope MB/min", "verdict"), [
        (name, f"{r['first_mb']} / {r['last_mb']} / {r['max_mb']}", r["slope_mb_per_min"],
         r["verdict"]) for name, r in soak["rss"].items()])
    lines += ["", f"Submission → queue: p99 of the first {lat['window_s']:g} s "
              f"{lat['first_p99_ms']} ms, of the last {lat['last_p99_ms']} ms; slope "
              f"{lat['slope_ms_per_min']} ms/min over {lat['dossiers']} dossiers: "
              f"{lat['verdict']}."]
    return lines


def write(doc: Path, section: str) -> None:
    """Replace the latest-run section of ``doc``, keeping everything around it."""
    block = f"{START}\n{section}{END}"
    text = doc.read_text() if doc.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    doc.write_text(before + block + after)
