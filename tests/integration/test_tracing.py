"""One trace from a portal's HTTP submission to the department's queue.

Intake and processing run in this process as the services run (their whole composition: the
HTTP edge, the outbox relay, the consumers) on the session's real broker and PostgreSQL. The
tracer provider gets an in-memory exporter. A dossier submitted over HTTP must arrive on its
department's topic with a ``traceparent`` of the same trace that intake's HTTP request opened,
and processing's consumer span must be a child in that trace, not a new root."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.intake.bootstrap import SPEC as INTAKE
from services.intake.settings import IntakeSettings
from services.processing.bootstrap import SPEC as PROCESSING
from services.processing.settings import ProcessingSettings
from shared.contracts.topics import department_work
from shared.portal.client import signed_request
from shared.runtime.logging import add_trace_ids
from shared.runtime.service import build_app
from shared.runtime.telemetry import configure_tracing, record_span
from tests.integration.intake.support import SECRETS, submission
from tests.support import wait_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing("tests", processors=(SimpleSpanProcessor(exporter),))
    yield exporter
    exporter.clear()
    exporter.shutdown()  # later spans of the session are dropped, not kept


@pytest.fixture(scope="module")
async def stack(spans: InMemorySpanExporter, postgres_url: str, kafka_bootstrap: str,
                tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    common: dict[str, Any] = {"database_url": postgres_url, "kafka_bootstrap_servers":
                              kafka_bootstrap, "outbox_poll_interval_s": 0.2}
    intake = build_app(INTAKE, IntakeSettings(
        **common, database_name=f"intake_{uuid.uuid4().hex[:10]}", environment="development",
        portal_secrets=";".join(f"{p}:{s}" for p, s in SECRETS.items()),
        document_dir=tmp_path_factory.mktemp("documents")))
    processing = build_app(PROCESSING, ProcessingSettings(
        **common, database_name=f"processing_{uuid.uuid4().hex[:10]}",
        environment="development"))
    async with intake.router.lifespan_context(intake), \
            processing.router.lifespan_context(processing):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=intake),
                                     base_url="http://intake") as http:
            yield http


def _department_record(bootstrap: str, topic: str, code: str) -> Any:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    try:
        def arrived() -> Any:
            message = consumer.poll(0.5)
            if message is None or message.error():
                return None
            return message if json.loads(message.value())["dossier_code"] == code else None

        found = None
        for _ in range(120):  # each poll waits up to 0.5 s for a record: a minute at most
            if (found := arrived()) is not None:
                break
        assert found is not None, f"no work item of {code} on {topic}"
        return found
    finally:
        consumer.close()


async def test_one_trace_from_the_http_submission_to_the_department_queue(
        stack: httpx.AsyncClient, spans: InMemorySpanExporter, kafka_bootstrap: str) -> None:
    procedure = (await stack.get("/v1/procedures/2.002189")).json()
    request = signed_request("POST", stack.base_url.join("/v1/dossiers"), "portal-a",
                             SECRETS["portal-a"], body=submission(procedure))
    created = await stack.send(request)
    assert created.status_code == 201, created.text
    code = created.json()["dossier_code"]

    record = await asyncio.to_thread(_department_record, kafka_bootstrap,
                                     department_work("tp"), code)
    headers = {k: v.decode() for k, v in record.headers() or []}
    _, trace_hex, parent_hex, _ = headers["traceparent"].split("-")

    server = [s for s in spans.get_finished_spans()
              if s.kind is SpanKind.SERVER and s.name == "POST /v1/dossiers"]
    assert len(server) == 1, [s.name for s in spans.get_finished_spans()]
    trace_id = server[0].context.trace_id
    assert trace_hex == format(trace_id, "032x")  # the department's record: the same trace

    def consumed() -> list[Any]:
        return [s for s in spans.get_finished_spans()
                if s.kind is SpanKind.CONSUMER and s.name == "dossier.events process"
                and s.attributes.get("messaging.consumer.group.name")
                == "processing.dossier.events"
                and s.context.trace_id == trace_id]

    await wait_until(lambda: consumed())
    (processed,) = consumed()
    in_trace = {s.context.span_id: s for s in spans.get_finished_spans()
                if s.context.trace_id == trace_id}
    # processing's span is a child inside intake's trace (its parent was intake's)...
    assert processed.parent is not None and processed.parent.span_id in in_trace
    assert in_trace[processed.parent.span_id].start_time < processed.start_time
    # ...and the department record was emitted from within it (or a child of it)
    emitter = in_trace.get(int(parent_hex, 16))
    assert emitter is not None
    chain = []
    while emitter is not None:
        chain.append(emitter.context.span_id)
        emitter = in_trace.get(emitter.parent.span_id) if emitter.parent else None
    assert processed.context.span_id in chain and server[0].context.span_id in chain
    assert any(s.kind is SpanKind.CLIENT and s.attributes.get("db.system") == "postgresql"
               for s in in_trace.values())  # asyncpg's spans, in the same trace


class _Record:
    topic, partition, offset = "dossier.events", 0, 7
    headers = (("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),)


def test_a_log_line_in_a_record_span_carries_its_trace_id(spans: InMemorySpanExporter) -> None:
    assert add_trace_ids(None, "info", {"event": "outside"}) == {"event": "outside"}
    with record_span(_Record(), "processing.dossier.events"):
        line = add_trace_ids(None, "info", {"event": "inside"})
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert len(line["span_id"]) == 16 and line["span_id"] != "b7ad6b7169203331"


def test_the_exporter_is_off_unless_an_endpoint_is_set() -> None:
    from shared.runtime.settings import ServiceSettings

    assert ServiceSettings().otel_exporter_otlp_endpoint is None
    assert ServiceSettings(otel_exporter_otlp_endpoint="http://collector:4318"
                           ).otel_exporter_otlp_endpoint == "http://collector:4318"



async def test_the_running_services_export_what_the_alerts_read(
        stack: httpx.AsyncClient, kafka_bootstrap: str) -> None:
    """After a submission went through (the test above): intake's /metrics names the route by
    its template, processing's consumer measured its lag, the outbox gauges were set."""
    from prometheus_client import REGISTRY

    procedure = (await stack.get("/v1/procedures/2.002189")).json()
    request = signed_request("POST", stack.base_url.join("/v1/dossiers"), "portal-a",
                             SECRETS["portal-a"], body=submission(procedure))
    created = await stack.send(request)
    assert created.status_code == 201, created.text
    code = created.json()["dossier_code"]
    await asyncio.to_thread(_department_record, kafka_bootstrap, department_work("tp"), code)

    text = (await stack.get("/metrics")).text
    assert 'http_requests_total{method="POST",route="/v1/dossiers",status="201"}' in text
    assert code not in text

    def lag_measured() -> bool:
        return any(REGISTRY.get_sample_value("kafka_consumer_lag", {
            "group": "processing", "topic": "dossier.events", "partition": str(p)}) is not None
            for p in range(6))

    await wait_until(lag_measured)
    await wait_until(lambda: REGISTRY.get_sample_value("outbox_backlog") is not None)


def test_an_outbox_row_carries_the_trace_it_was_emitted_in(spans: InMemorySpanExporter) -> None:
    from shared.contracts.events import Envelope, Event
    from shared.runtime.outbox import outbox_row

    class TracingProbe(Event):
        pass

    envelope = Envelope.wrap(TracingProbe(), dossier_id=uuid.uuid4(), producer="tests")
    assert "traceparent" not in outbox_row("dossier.events", envelope)[4]  # no span, no trace
    with record_span(_Record(), "processing.dossier.events"):
        headers = outbox_row("dossier.events", envelope)[4]
    assert headers["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert headers["event_type"] == "TracingProbe"
