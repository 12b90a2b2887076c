"""Dead letters: a record that cannot be handled goes to ``<topic>.dlq`` with its cause.

The copy keeps the record's key and value and says in its headers what failed, where, and how
often it was tried. Headers are bounded (:data:`HEADER_BUDGET`) and carry no input at length:
an attacker's record must not be able to make its own dead letter unpublishable. A record too
large to be copied with its headers, or a copy the broker refuses for its size, is replaced by
a truncated dead letter (no value; topic, partition, offset and cause), so a poison record can
never block its partition. A broker that accepts nothing at all raises, and the record is
handed over again: nothing is dropped for want of a broker.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import structlog
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError
from faststream.kafka import KafkaBroker
from prometheus_client import Counter

from shared.contracts.topics import dead_letter as dead_letter_topic

log = structlog.get_logger(__name__)

EVENTS_DEAD_LETTERED = Counter(
    "events_dead_lettered_total", "Messages sent to a dead-letter topic", ["consumer", "topic"]
)

MAX_REQUEST_BYTES = 1_048_576
"""The producer's ``max_request_size`` (aiokafka's default, which make_broker keeps)."""
HEADER_BUDGET = 8_192
"""At most this many bytes of dead-letter headers; a record over the request size minus this
budget is dead-lettered truncated."""
_ERROR_CHARS = 500
_TRACEBACK_CHARS = 3_000


def _cause(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:_ERROR_CHARS]


def dead_letter_headers(record: Any, error: BaseException, *, consumer: str,
                        attempts: int, truncated: bool = False) -> dict[str, str]:
    headers = {
        "x-dlq-error": _cause(error),
        "x-dlq-error-type": type(error).__name__[:100],
        "x-dlq-attempts": str(attempts),
        "x-dlq-consumer": consumer[:200],
        "x-dlq-dead-lettered-at": str(time.time()),
        "x-original-topic": record.topic,
        "x-original-partition": str(record.partition),
        "x-original-offset": str(record.offset),
    }
    if truncated:
        headers["x-dlq-truncated"] = f"value of {len(record.value or b'')} bytes not copied"
    else:
        headers["x-dlq-traceback"] = "".join(traceback.format_exception(error))[
            -_TRACEBACK_CHARS:]
    return headers


async def dead_letter(broker: KafkaBroker, record: Any, error: BaseException, *,
                      consumer: str, attempts: int) -> None:
    """Publish ``record`` to its dead-letter topic, whole when it fits, else truncated."""
    topic = dead_letter_topic(record.topic)
    value: bytes = record.value or b""
    key = record.key if record.key is None or len(record.key) <= 1_024 else record.key[:1_024]
    fits = len(value) + len(key or b"") + HEADER_BUDGET <= MAX_REQUEST_BYTES
    published = False
    if fits:
        try:
            await broker.publish(value, topic, key=key, headers=dead_letter_headers(
                record, error, consumer=consumer, attempts=attempts))
            published = True
        except (MessageSizeTooLargeError, RecordTooLargeError) as too_large:
            log.warning("dead letter too large, sending it truncated", error=repr(too_large))
    if not published:
        await broker.publish(b"", topic, key=key, headers=dead_letter_headers(
            record, error, consumer=consumer, attempts=attempts, truncated=True))
    EVENTS_DEAD_LETTERED.labels(consumer, record.topic).inc()
    log.error("message dead-lettered", consumer=consumer, topic=record.topic, dlq=topic,
              attempts=attempts, truncated=not published, error=_cause(error),
              partition=record.partition, offset=record.offset)
