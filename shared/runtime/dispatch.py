"""The batch hook for events: envelopes dispatched by topic and type, with the inbox.

A service reads all its event topics through one group (one poll loop, one fetch per round
and one transaction per batch, whatever mix of topics the batch holds). Each topic keeps its
own consumer name, ``<group>.<topic>``: it names the inbox rows, the metrics and a dead
letter's ``x-dlq-consumer``. A handler keyed by the base class ``Event`` receives every type
of its topic that has no handler of its own, including types this build does not know
(``event`` is None). Unknown or uninteresting types are skipped, by contract: on the record's
``event_type`` header when it has one (every record the outbox relay publishes does, see
``shared.runtime.outbox.outbox_row`` and docs/contracts/asyncapi.json), before its JSON is
read, since most services act on two or three of the fifteen-odd events of a dossier
(issue 17); a record without the header is decoded to learn its type, as before.

A handler runs inside the unit of work of its batch (or of its record, when handled alone),
with ``uow.cause`` set to its envelope: what it emits carries the envelope's correlation and
names it as its cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from prometheus_client import Counter
from pydantic import ValidationError

from shared.contracts.events import Envelope, Event
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import Transactions, UnitOfWork
from shared.runtime.telemetry import record_span

EVENTS_HANDLED = Counter("events_handled_total", "Events handled", ["consumer", "event_type"])
EVENTS_DUPLICATE = Counter("events_duplicate_total", "Redeliveries ignored", ["consumer"])

Handler = Callable[[Any, Envelope, UnitOfWork], Awaitable[None]]
"""``handler(event, envelope, uow)``: a use case run inside the consumer's transaction."""

Routes = Mapping[str, Mapping[type[Event], Handler]]
"""topic -> event type -> handler: a service's table of what it reacts to."""

EVENT_TYPE_HEADER = "event_type"
"""The record header naming the envelope's ``event_type`` (set from the outbox row)."""


def declared_type(record: Any) -> str | None:
    """The ``event_type`` header of a record, or None when it has none."""
    for key, value in record.headers or ():
        if key == EVENT_TYPE_HEADER:
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return None


@dataclass(frozen=True)
class Delivery:
    """A decoded record: its envelope, typed payload (None for an unknown type) and handler."""

    name: str
    envelope: Envelope
    event: Event | None
    handler: Handler
    record: Any = None  # the Kafka record: its headers carry the trace to continue


@contextmanager
def _logging_context(envelope: Envelope) -> Iterator[None]:
    structlog.contextvars.bind_contextvars(
        dossier_code=envelope.dossier_code,
        event_type=envelope.event_type,
        correlation_id=str(envelope.correlation_id),
    )
    try:
        yield
    finally:
        structlog.contextvars.unbind_contextvars("dossier_code", "event_type", "correlation_id")


class EventDispatch:
    """:class:`shared.runtime.consumer.BatchHook` for a service's table of event handlers."""

    def __init__(self, group: str, routes: Routes, transactions: Transactions) -> None:
        if not routes:
            raise ValueError(f"consumer group {group!r} reads no topic")
        self.topics = tuple(routes)
        self._transactions = transactions
        self._names = {topic: f"{group}.{topic}" for topic in routes}
        self._by_type = {
            topic: {m.type_name(): h for m, h in handlers.items() if m is not Event}
            for topic, handlers in routes.items()
        }
        self._any_type = {topic: handlers.get(Event) for topic, handlers in routes.items()}

    def consumer_name(self, topic: str) -> str:
        return self._names[topic]

    def decode(self, record: Any) -> Delivery | None:
        by_type, any_type = self._by_type[record.topic], self._any_type[record.topic]
        if any_type is None:
            declared = declared_type(record)
            if declared is not None and declared not in by_type:
                return None  # not for us: skipped unread
        envelope = Envelope.model_validate_json(record.value)
        handler = by_type.get(envelope.event_type, any_type)
        if handler is None:
            return None
        try:
            event = envelope.event()
        except ValidationError as error:  # a known type with a payload that breaks its contract
            raise PermanentError(f"invalid {envelope.event_type} payload: {error}") from error
        return Delivery(self._names[record.topic], envelope, event, handler, record)

    async def handle_many(self, batch: Sequence[tuple[Any, Delivery]]) -> Sequence[Any]:
        async with self._transactions() as uow:
            by_name: dict[str, list[uuid.UUID]] = {}
            for _, d in batch:
                by_name.setdefault(d.name, []).append(d.envelope.event_id)
            fresh = {(name, event_id)
                     for name, ids in by_name.items()
                     for event_id in await uow.claim_many(name, ids)}
            handled: list[Delivery] = []
            for _, d in batch:
                if (d.name, d.envelope.event_id) not in fresh:
                    EVENTS_DUPLICATE.labels(d.name).inc()
                    continue
                fresh.discard((d.name, d.envelope.event_id))  # twice in a batch: once
                await self._run(d, uow)
                handled.append(d)
            await uow.commit()
        for d in handled:  # duplicates were counted as such, not as handled
            EVENTS_HANDLED.labels(d.name, d.envelope.event_type).inc()
        return ()

    async def handle_one(self, record: Any, d: Delivery) -> None:
        async with self._transactions() as uow:
            if not await uow.claim(d.name, d.envelope.event_id):
                EVENTS_DUPLICATE.labels(d.name).inc()
                return
            await self._run(d, uow)
            await uow.commit()
        EVENTS_HANDLED.labels(d.name, d.envelope.event_type).inc()

    @staticmethod
    async def _run(d: Delivery, uow: UnitOfWork) -> None:
        uow.cause = d.envelope
        with record_span(d.record, d.name), _logging_context(d.envelope):
            await d.handler(d.event, d.envelope, uow)
