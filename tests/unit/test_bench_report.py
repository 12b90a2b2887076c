"""The benchmark's arithmetic, without a stack: the targets' verdicts, the ratios to the raw
limits and to the HTTP floor, CPU per dossier, the soak's slopes and drift, and when the
legs that leave the system count as final."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bench import legs, report, soak
from tests.bench.markdown import render


def test_a_goal_of_at_most_is_met_or_missed_by_how_much_and_how_many_times() -> None:
    assert report.verdict(60, 60, "s") == "met"
    assert report.verdict(65, 60, "s") == "missed by 5.00 s (1.1× the goal)"
    assert report.verdict(300, 60, "s") == "missed by 240 s (5.0× the goal)"
    assert report.verdict(None, 60, "s") == "not reached"


def test_a_smaller_run_is_extrapolated_before_its_verdict() -> None:
    # 2,000 dossiers accepted in 5 s: ×20 to 40,000 is 100 s against 60.
    assert report.verdict(5, 60, "s", scale=20) == "missed by 40 s (1.7× the goal)"
    assert report.verdict(2.5, 60, "s", scale=20) == "met"


def test_a_goal_of_at_least_is_missed_below_it() -> None:
    assert report.verdict(0.8, 0.8, "", at_least=True) == "met"
    assert report.verdict(0.4, 0.8, "", at_least=True) == "missed by 0.40 (0.50× the goal)"


def test_cpu_per_dossier_is_each_part_and_the_whole_in_milliseconds() -> None:
    per = report.cpu_per_dossier_ms({"tansu": 30.0, "intake": 10.0, "postgres": 20.0}, 2000)
    assert per == {"tansu": 15.0, "postgres": 10.0, "intake": 5.0, "total": 30.0}
    assert report.cpu_per_dossier_ms({"tansu": 1.0}, 0) == {}


def _result(**day: Any) -> dict[str, Any]:
    national = {"dossiers": 2000, "accepted": 2000, "final": 2000, "all_accepted_s": 20.0,
                "all_final_s": 50.0, "all_results_s": 45.0, "last_final_s": 50.0,
                "events": 30000, "events_per_s": 600.0, "ingress": "kafka",
                "submit_to_queue": {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3000.0},
                "registered_to_queue": {"p50_ms": 100.0, "p95_ms": 200.0, "p99_ms": 500.0},
                "cpu_s": {"tansu": 20.0, "intake": 10.0}, "errors": [], **day}
    step50 = {"offered_per_s": 50, "submitted": 250, "accepted": 250, "accepted_per_s": 50.0,
              "p50_ms": 20.0, "p95_ms": 40.0, "p99_ms": 80.0, "sustained": True,
              "submit_to_queue": {"p50_ms": 150.0, "p95_ms": 250.0, "p99_ms": 300.0}}
    top = {**step50, "offered_per_s": None, "accepted_per_s": 60.0}
    return {"machine": {"date": "d", "cpu": "c", "cores": 2, "memory_gb": 1, "python": "3",
                        "os": "o"},
            "limits": {"kafka_msgs_per_s": 10000.0, "pg_single_commits_per_s": 1000.0,
                       "pg_concurrent_commits_per_s": 4000.0, "pg_concurrency": 16},
            "http_intake": {"steps": [step50, top], "knee_accepted_per_s": 50.0,
                            "max_accepted_per_s": 60.0,
                            "floor": {**top, "accepted_per_s": 300.0, "p99_ms": 400.0}},
            "national_day": national, "peak_rss_mb": {"intake": 120.0, "reporting": 250.0},
            "kafka_ingress": "100 /s"}


def test_intake_is_compared_with_the_floor_of_the_same_run() -> None:
    http = report.http_figures(_result()["http_intake"])
    assert http["intake_to_floor"] == 0.2  # 60 ÷ 300
    assert http["p99_at_50_ms"] == 80.0
    assert http["queue_p99_at_50_ms"] == 300.0


def test_every_figure_is_also_a_ratio_to_the_raw_limits() -> None:
    ratios = report.raw_ratios(_result())
    assert ratios["accepted_per_s_to_pg_concurrent_commits"] == 0.025  # 100/s ÷ 4,000
    assert ratios["final_per_s_to_pg_concurrent_commits"] == 0.01  # 40/s ÷ 4,000
    assert ratios["events_per_s_to_kafka_msgs"] == 0.06
    assert ratios["http_floor_to_pg_single_commits"] == 0.3
    # One raw commit takes 1 ms here: 15 ms of CPU per dossier is 15 commits' time.
    assert ratios["cpu_per_dossier_in_commit_times"] == 15.0
    assert ratios["burst_registered_to_queue_p99_in_commit_times"] == 500.0


def test_the_targets_table_has_issue_17s_rows_with_their_verdicts() -> None:
    rows = {row[0]: row for row in report.targets(_result())}
    assert rows["all 40,000 accepted"][3] == "missed by 340 s (6.7× the goal)"  # 20 s × 20
    assert "extrapolated ×20 to 40,000" in rows["all 40,000 accepted"][1]
    assert rows["all final (results returned, postal ones delivered, fees paid, SMS "
                "reported)"][3] == "missed by 700 s (3.3× the goal)"
    assert rows["p99 submission → department queue at 50/s"][3].startswith("missed by 200 ms")
    assert rows["p99 registration → queue in the burst"][3] == "met"
    assert rows["HTTP intake sustained ÷ floor"][3] == "missed by 0.60 (0.25× the goal)"
    assert rows["HTTP intake p99 at 50/s"][3] == "met"
    assert rows["peak RSS intake"][3] == "met"
    assert rows["peak RSS reporting"][3] == "missed by 50 MB (1.2× the goal)"
    assert rows["CPU per dossier, whole stack"][2] == "≤ 12.5 ms"
    assert rows["CPU per dossier, whole stack"][3] == "missed by 2.50 ms (1.2× the goal)"


def test_a_full_national_day_is_not_extrapolated_and_an_unfinished_one_not_reached() -> None:
    rows = {row[0]: row for row in report.targets(_result(dossiers=40_000, all_final_s=None))}
    assert "extrapolated" not in rows["all 40,000 accepted"][1]
    assert rows["all final (results returned, postal ones delivered, fees paid, SMS "
                "reported)"][3] == "not reached"


def test_the_rss_slope_is_least_squares_in_mb_per_minute() -> None:
    start = 1000.0
    samples = [(start + t, "intake", 100 + t / 60) for t in range(0, 601, 10)]  # +1 MB/min
    samples += [(start + t, "postal", 80 + (0.3 if t % 20 else -0.3)) for t in range(0, 601, 10)]
    samples.append((start - 5, "intake", 500.0))  # before the soak: not counted
    slopes = soak.rss_slopes(samples, start, start + 600)
    assert slopes["intake"]["slope_mb_per_min"] == pytest.approx(1.0)
    assert slopes["intake"]["verdict"].startswith("growing (+1.00 MB/min")
    assert abs(slopes["postal"]["slope_mb_per_min"]) < 0.01
    assert slopes["postal"]["verdict"].startswith("flat")
    assert slopes["intake"]["first_mb"] == 100.0 and slopes["intake"]["max_mb"] == 110.0


def test_the_latency_drift_compares_the_first_and_last_minute_and_fits_a_slope() -> None:
    # Latency grows from 100 ms by 20 ms per minute over a ten-minute soak.
    points = [(t / 10, 0.1 + 0.02 * (t / 10) / 60) for t in range(0, 6000)]
    drift = soak.latency_drift(points, 600)
    assert drift["window_s"] == 60
    assert drift["slope_ms_per_min"] == pytest.approx(20.0, abs=0.01)
    assert drift["first_p99_ms"] == pytest.approx(119.6, abs=0.5)
    assert drift["last_p99_ms"] == pytest.approx(299.6, abs=0.5)
    assert drift["verdict"].startswith("growing")
    steady = soak.latency_drift([(t, 0.2 + (0.01 if t % 2 else 0)) for t in range(120)], 120)
    assert steady["window_s"] == 40  # a short soak: a third each
    assert steady["verdict"].startswith("flat")


def test_a_slope_needs_two_distinct_times() -> None:
    assert soak.slope_per_minute([(5.0, 1.0), (5.0, 2.0)]) is None
    assert soak.flat_verdict(None, 1, "MB/min") == "not measured"


def _legs(paid: int = 10, fees: int = 10, delivered: int = 4, shipments: int = 4,
          sms: int = 30, sms_delivered: int = 30) -> dict[str, Any]:
    return {"fees": {"fees": fees, "paid": paid}, "parcels": {"shipments": shipments,
                                                               "delivered": delivered},
            "sms": {"sms": sms, "delivered": sms_delivered}}


def test_the_legs_are_final_only_when_every_fee_parcel_and_sms_is() -> None:
    assert legs.complete(_legs(), fees_expected=10, postal_expected=4)
    assert not legs.complete(_legs(paid=9), fees_expected=10, postal_expected=4)
    assert not legs.complete(_legs(fees=9, paid=9), fees_expected=10, postal_expected=4)
    assert not legs.complete(_legs(delivered=3), fees_expected=10, postal_expected=4)
    assert not legs.complete(_legs(sms_delivered=29), fees_expected=10, postal_expected=4)
    assert not legs.complete(_legs(sms=0, sms_delivered=0), fees_expected=10,
                             postal_expected=4)


def test_the_report_renders_the_targets_and_the_soak() -> None:
    result = _result()
    result["soak"] = {"seconds": 120, "offered_per_s": 50, "submitted": 6000, "accepted": 6000,
                      "accepted_per_s": 50.0, "queued": 6000,
                      "http": {"p50_ms": 10.0, "p95_ms": 20.0, "p99_ms": 30.0},
                      "rss": soak.rss_slopes([(0, "intake", 100.0), (60, "intake", 100.1)],
                                             0, 120),
                      "latency": soak.latency_drift([(0, 0.1), (100, 0.1)], 120)}
    result["note"] = "The machine was shared."
    result["national_day"]["legs"] = {
        "fees": {"fees": 30, "paid": 30, "paid_by_ipn": 30, "settled_by": {"ipn": 30},
                 "last_paid_at": 1.0},
        "parcels": {"shipments": 12, "delivered": 11, "last_delivered_at": 2.0},
        "sms": {"sms": 163, "delivered": 160, "by_status": {"delivered": 160, "sending": 3},
                "last_delivered_at": 3.0},
        "fees_expected": 30, "postal_expected": 12, "complete": False,
        "carrier_ledger": {"orders": 12, "delivered": 12, "delivered_webhook_acknowledged": 11,
                           "webhooks": 84, "webhook_tries": 90, "webhooks_unanswered": 1},
        "sms_ledger": {"accepted": 163, "requests": 163, "reports_delivered_status": 163,
                       "reports_acknowledged": 160, "reports_not_sent_yet": 3}}
    text = render(result)
    assert "| fees: requested / paid / settled by IPN (other settlements) | 30 / 30 / 30 " \
           "(none) |" in text
    assert "| SMS: sent / reported delivered (notification's messages; by status) | " \
           "163 / 160 (delivered 160, sending 3) |" in text
    assert "| every leg final | no |" in text
    assert "**Note:** The machine was shared." in text
    assert "| HTTP intake sustained ÷ floor | 0.2 (60.0 ÷ 300.0 /s) | ≥ 0.8 |" in text
    assert "**Soak**" in text and "| intake | 100.0 / 100.1 / 100.1 |" in text
