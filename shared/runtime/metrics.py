"""The metrics an operator alerts on, in Prometheus' format on every service's ``/metrics``.

Defined here, once per process, beside those of the modules that own them
(``events_handled_total`` in shared.runtime.dispatch, ``events_dead_lettered_total`` in
shared.runtime.dlq, ``side_effect_*`` in shared.runtime.effects.metrics, processing's
``dossiers_by_sla_state``). docs/observability.md lists them all with the alerts built on
them (deploy/prometheus/alerts.yml); tests/unit/test_alert_rules.py checks that every metric
the rules and the dashboard read is one of ours.

No label carries a dossier's code or a citizen's data: HTTP requests are labelled by route
template (``/v1/dossiers/{code}``), never by path.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog
from aiokafka import TopicPartition
from prometheus_client import Counter, Gauge, Histogram

log = structlog.get_logger(__name__)

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests answered, by route template",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("http_request_duration_seconds",
                         "Time to answer an HTTP request, by route template", ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CONSUMER_LAG = Gauge("kafka_consumer_lag", "Records of a partition not yet consumed by a group "
                     "(high-water mark minus the offset after the last batch), set on each batch",
                     ["group", "topic", "partition"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published")
OUTBOX_AGE = Gauge("outbox_oldest_age_seconds",
                   "Age of the oldest outbox row not yet published (0 when none)")
PROVIDER_ANSWERS = Counter("provider_answers_total", "Answers of external providers (payment "
                           "gateway, carrier, SMS) by their own result code",
                           ["provider", "operation", "code"])

UNMATCHED = "<unmatched>"
_CODE = re.compile(r"[\w.-]{1,16}")


class HttpMetrics:
    """ASGI middleware: counts and times every HTTP request by its route's template. Pure
    ASGI (no ``BaseHTTPMiddleware``), so a streamed body is not buffered."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_template(scope)
            if route not in ("/metrics", "/healthz", "/readyz"):
                HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
                HTTP_LATENCY.labels(scope["method"], route).observe(
                    time.perf_counter() - started)


def route_template(scope: dict[str, Any]) -> str:
    """The matched route's path template, a mount's prefix, or ``<unmatched>`` (a 404 must
    not make a label of whatever path was asked)."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if path:
        return str(path)
    root = scope.get("root_path") or ""
    return f"{root}/*" if root else UNMATCHED


def measure_lag(consumer: Any, group: str, records: Sequence[Any]) -> None:
    """Each partition of the batch's lag, from aiokafka's ``highwater`` (known from the last
    fetch: no request to the broker) and the offset after the batch's last record, which is
    what the group commits once the batch is handled."""
    if consumer is None:
        return
    last: dict[tuple[str, int], int] = {}
    for record in records:
        last[record.topic, record.partition] = record.offset
    for (topic, partition), offset in last.items():
        highwater = consumer.highwater(TopicPartition(topic, partition))
        if highwater is not None:
            CONSUMER_LAG.labels(group, topic, str(partition)).set(max(0, highwater - offset - 1))


def provider_answer(provider: str, code: str | None, operation: str = "") -> None:
    """Count one answer of an external provider (``vnpay``, ``esms``, a carrier) by its own
    result code. A code that does not look like one (absent, too long) counts as ``other``:
    a provider's bad day must not add a label per answer."""
    value = code if code and _CODE.fullmatch(code) else "other"
    PROVIDER_ANSWERS.labels(provider, operation, value).inc()


async def measure_outbox(pool: asyncpg.Pool) -> tuple[int, float]:
    """The outbox's backlog and its oldest unpublished row's age, into their gauges."""
    row = await pool.fetchrow(
        """SELECT count(*) AS n,
                  coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
           FROM outbox_message WHERE sent_at IS NULL""")
    OUTBOX_BACKLOG.set(row["n"])
    OUTBOX_AGE.set(row["age"])
    return row["n"], row["age"]


async def watch_outbox(pool: asyncpg.Pool, interval_s: float = 5.0) -> None:
    """Measure the outbox every ``interval_s`` until cancelled (every replica does: the
    numbers are the database's, whichever replica relays)."""
    while True:
        try:
            await measure_outbox(pool)
        except (OSError, asyncpg.PostgresError) as error:  # the next round measures again
            log.warning("outbox not measured", error=repr(error))
        await asyncio.sleep(interval_s)
