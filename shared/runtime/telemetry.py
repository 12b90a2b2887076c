"""Tracing with OpenTelemetry, across the whole path of a dossier.

One trace follows a submission from the portal's HTTP request (or its Kafka record) through
intake, the outbox, Kafka, processing and the department's topic, to payment, postal and
notification:

- HTTP: FastAPI's instrumentation opens a SERVER span per request (``/healthz``, ``/readyz``
  and ``/metrics`` are left out); asyncpg's instrumentation a CLIENT span per query, installed
  only where spans can leave the process (an exporter, a span processor, or a sampler set).
- Kafka through FastStream: :class:`faststream.kafka.opentelemetry.KafkaTelemetryMiddleware`
  on the broker (shared.runtime.broker) traces what FastStream publishes (dead letters,
  portal receipts) and opens a span per consumed batch, linked to every record of it.
  aiokafka's own instrumentation is not installed: it would trace each record twice.
- The outbox: a row is written in the handler's transaction with the current trace context
  injected into its headers (W3C ``traceparent``/``tracestate``, :func:`inject_context`);
  the relay publishes the row with those headers on a raw aiokafka producer, so the record
  carries the context of the span that *emitted* the event, not the relay's.
- Consumption: records are read in batches by our own :class:`shared.runtime.consumer
  .Consumer` and handled one by one inside a batch transaction, which FastStream's
  middleware cannot see. :func:`record_span` extracts each record's context from its headers
  with OpenTelemetry's propagator API and opens a CONSUMER span as its child (linked to the
  batch's span), so a handler's own emits continue the record's trace.

Every process installs the SDK's tracer provider (trace ids reach the logs, see
shared.runtime.logging, and cross services even with nothing exported). Spans leave the
process only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (OTLP over HTTP/protobuf): off by
default, in ``make run`` too, and then spans are not even recorded (sampled out, at the cost
of an id), unless a sampled parent arrives from a service that exports. The SDK's standard
variables apply (``OTEL_TRACES_SAMPLER``, ``OTEL_TRACES_SAMPLER_ARG``,
``OTEL_RESOURCE_ATTRIBUTES``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import Link, SpanKind

TRACER_NAME = "mot_cua.runtime"
EXCLUDED_URLS = "healthz,readyz,metrics"

_tracer = trace.get_tracer(TRACER_NAME)  # a proxy: it follows the provider set later
_in_record: ContextVar[int | None] = ContextVar("mot_cua_record_span", default=None)
_installed: dict[str, Any] = {}


def configure_tracing(service: str, *, otlp_endpoint: str | None = None,
                      processors: tuple[SpanProcessor, ...] = ()) -> TracerProvider:
    """Install the process's tracer provider (once; later calls return it) and asyncpg's
    instrumentation. ``otlp_endpoint`` (the collector's base URL, ``http://host:4318``)
    turns the OTLP exporter on; ``processors`` are extra span processors (the tests' in-
    memory exporter)."""
    provider = _installed.get("provider")
    if provider is None:
        # Nothing to export: spans are not recorded (a sampled parent's children still are),
        # yet each carries a trace id, which the logs and the next service receive.
        keep = otlp_endpoint or processors or os.environ.get("OTEL_TRACES_SAMPLER")
        provider = TracerProvider(resource=Resource.create({"service.name": service}),
                                  sampler=None if keep else ParentBased(ALWAYS_OFF))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(
                OTLPSpanExporter(endpoint=f"{otlp_endpoint.rstrip('/')}/v1/traces")))
        trace.set_tracer_provider(provider)
        _installed["provider"] = provider
    if (otlp_endpoint or processors or os.environ.get("OTEL_TRACES_SAMPLER")) \
            and "asyncpg" not in _installed:
        # A span per query only where spans can leave the process: without an exporter they
        # are never recorded, and wrapping every query cost ~3% of intake's CPU (issue 17).
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().instrument(tracer_provider=provider)
        _installed["asyncpg"] = True
    for processor in processors:
        provider.add_span_processor(processor)
    return provider


def instrument_app(app: Any) -> None:
    """FastAPI's SERVER spans, named by route template (never by a dossier's code)."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=EXCLUDED_URLS)


def telemetry_middleware() -> Any:
    """FastStream's Kafka middleware, for the broker's ``middlewares``."""
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

    return KafkaTelemetryMiddleware()


def inject_context(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Add the current trace context to ``headers`` (nothing when no span is active)."""
    propagate.inject(headers)
    return headers


def record_context(record: Any) -> Context:
    """The trace context a Kafka record carries in its headers (empty when none)."""
    carrier: Mapping[str, str] = {
        k: v.decode("latin-1") if isinstance(v, bytes) else str(v)
        for k, v in (record.headers or ()) if k in ("traceparent", "tracestate", "baggage")}
    return propagate.extract(carrier)


@contextlib.contextmanager
def record_span(record: Any, consumer: str) -> Iterator[None]:
    """A CONSUMER span for one record, child of the context its headers carry and linked to
    the span in force (the batch's). Re-entered for the same record (the record handled
    alone, then dispatched), it opens no second span."""
    if record is None or _in_record.get() == id(record):
        yield
        return
    current = trace.get_current_span().get_span_context()
    links = [Link(current)] if current.is_valid else None
    token = _in_record.set(id(record))
    try:
        with _tracer.start_as_current_span(
            f"{record.topic} process", context=record_context(record), kind=SpanKind.CONSUMER,
            links=links, attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": record.topic,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
                "messaging.consumer.group.name": consumer,
            }):
            yield
    finally:
        _in_record.reset(token)


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the span in force, or None."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
