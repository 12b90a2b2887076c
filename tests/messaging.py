"""Helpers for tests of consumers: a service's event consumer built as the runtime builds it,
and a consumer record made by hand for a use case driven without a broker."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

import asyncpg
from faststream.kafka import KafkaBroker

from shared.contracts.events import Event
from shared.runtime.consumer import Consumer, Subscription
from shared.runtime.dispatch import EventDispatch, Routes
from shared.runtime.outbox import Transactions


class Probe(Event):
    """A test's own event, published on the topic it names (a fresh one per test)."""

    topic: ClassVar[str] = "{on_topic}"
    on_topic: str
    dossier_code: str


def event_consumer(group: str, routes: Routes, pool: asyncpg.Pool, broker: KafkaBroker,
                   *, alone_concurrency: int = 4, **options: Any) -> Consumer[Any]:
    """The consumer the runtime gives a service named ``group`` with these routes (with the
    runtime's default of keys handled alone at once)."""
    hook = EventDispatch(group, routes, Transactions(pool, group))
    return Consumer(Subscription(group, hook, alone_concurrency=alone_concurrency), broker,
                    **options)


def record(topic: str, value: bytes, key: bytes | None = None) -> Any:
    """A consumer record as aiokafka hands it over, for a consumer called without a broker."""
    return SimpleNamespace(topic=topic, value=value, key=key, partition=0, offset=0,
                           timestamp=None, headers=())
