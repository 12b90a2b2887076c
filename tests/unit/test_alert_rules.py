"""The alert rules and the dashboard read only metrics our code exports.

Every PromQL expression of deploy/prometheus/alerts.yml and of the Grafana dashboard is parsed
for the metric names it reads (a regex: label matchers, strings, ranges, grouping clauses and
function names taken out), and each must be a sample name of a metric registered in
prometheus_client's REGISTRY once every module of every service is imported. A renamed metric
breaks this test, not an alert that would then never fire."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = REPO / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARDS = sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json"))

_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
             "unless", "bool", "offset", "le", "inf", "nan"}
_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count",
                                                               "_created"),
             "summary": ("_sum", "_count", "_created"), "gauge": ("",), "info": ("_info",),
             "untyped": ("",)}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings (in label matchers, too)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", text):
        name, call = match.groups()
        if call or name.lower() in _KEYWORDS:
            continue  # a function, or an operator word
        names.add(name)
    return names


def test_the_parser_finds_metrics_and_nothing_else() -> None:
    expr = ('sum by (job, route) (rate(http_requests_total{status=~"5.."}[5m])) / '
            "histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m]))) > 0.05 and on (job) up")
    assert metric_names(expr) == {"http_requests_total", "x_bucket", "up"}


def exported() -> set[str]:
    """Every sample name of every metric registered once all of our modules are imported."""
    import services
    import shared

    for package in (services, shared):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.rsplit(".", 1)[-1] != "__main__":  # __main__ starts a service
                importlib.import_module(module.name)
    names = set()
    for metric in REGISTRY.collect():
        names |= {f"{metric.name}{suffix}" for suffix in _SUFFIXES[metric.type]}
    return names


def rule_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [(r["alert"], r["expr"]) for group in rules["groups"] for r in group["rules"]]


def dashboard_expressions() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            found += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel["targets"]]
    return found


def test_the_rules_cover_what_an_operator_must_be_woken_for() -> None:
    names = {name for name, _ in rule_expressions()}
    assert {"DeadLettersNotEmpty", "OutboxOlderThanAMinute", "ConsumerLagGrowing",
            "DossiersOverdue"} <= names
    assert DASHBOARDS, "no Grafana dashboard under deploy/grafana/dashboards"


@pytest.mark.parametrize(("where", "expr"), [*rule_expressions(), *dashboard_expressions()])
def test_every_metric_an_alert_or_the_dashboard_reads_is_exported(where: str, expr: str) -> None:
    read = metric_names(expr)
    assert read, f"{where}: no metric found in {expr!r}"
    missing = read - exported()
    assert not missing, f"{where} reads {sorted(missing)}, which no module of ours exports"


def test_prometheus_scrapes_every_service_and_loads_the_rules() -> None:
    config = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    from shared.runtime.settings import SERVICE_PORTS

    scraped = {job["job_name"]: job for job in config["scrape_configs"]}
    for service, port in SERVICE_PORTS.items():
        (sd,) = scraped[service]["dns_sd_configs"]
        assert sd["names"] == [service] and sd["port"] == port  # every replica of it
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
