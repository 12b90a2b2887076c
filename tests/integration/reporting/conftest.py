"""Reporting's integration fixtures: a fresh database with the first build, the real broker
with the system's topics, reporting's live consumer on it, and a publisher of real envelopes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

import pytest
from faststream.kafka import KafkaBroker

from services.reporting.bootstrap import SPEC
from services.reporting.consumers import TOPICS, subscriptions
from services.reporting.deps import ReportingDeps
from services.reporting.repository import builds
from services.reporting.settings import ReportingSettings
from shared.contracts.events import EVENT_TYPES, Envelope
from shared.contracts.topics import with_dead_letters
from shared.reference.workdays import WorkingCalendar
from shared.runtime.broker import provision_topics
from shared.runtime.outbox import Transactions
from tests.integration.reporting.histories import TODAY
from tests.messaging import event_consumer
from tests.support import migrated_pool

Publish = Callable[[list[Envelope]], Awaitable[None]]


@pytest.fixture
def settings(database_url: str, postgres_url: str, kafka_bootstrap: str) -> ReportingSettings:
    return ReportingSettings(kafka_bootstrap_servers=kafka_bootstrap, database_url=postgres_url,
                             database_name=urlsplit(database_url).path.lstrip("/"),
                             rebuild_idle_timeout_s=20)


@pytest.fixture
async def pool(database_url: str):
    async with migrated_pool(database_url, SPEC.migrations) as migrated:
        await builds.ensure_current(migrated)
        yield migrated


@pytest.fixture
def deps(pool) -> ReportingDeps:
    return ReportingDeps(pool=pool, transactions=Transactions(pool, "reporting"),
                         calendar=WorkingCalendar.default(), today=lambda: TODAY)


@pytest.fixture
def topics() -> dict[str, str]:
    """Each of reporting's topics -> this test's own copy of it, so that a test reads (and
    rebuilds from) its own events only, whatever the rest of the session published."""
    run = uuid.uuid4().hex[:8]
    return {topic: f"t{run}.{topic}" for topic in TOPICS}


@pytest.fixture
async def live(pool, settings: ReportingSettings, topics: dict[str, str]
               ) -> AsyncIterator[Publish]:
    """Reporting's consumer (its own group, as the runtime builds it, its table of handlers
    on this test's topics), and a ``publish`` of envelopes to the topics their events name,
    each keyed by its dossier as the relay keys it."""
    await provision_topics(settings, with_dead_letters([*TOPICS, *topics.values()]))
    routes = {topics[topic]: handlers for topic, handlers in subscriptions().items()}
    broker = KafkaBroker(settings.kafka_bootstrap_servers, acks="all")
    event_consumer(f"reporting-{uuid.uuid4().hex[:8]}", routes, pool, broker,
                   fetch_wait_ms=100).subscribe()
    await broker.start()

    async def publish(envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            topic = topics[EVENT_TYPES[envelope.event_type].topic]
            await broker.publish(envelope.model_dump_json().encode(), topic,
                                 key=str(envelope.dossier_id).encode())

    try:
        yield publish
    finally:
        await broker.stop()
