"""``python -m services.reporting rebuild``: replay the topics from the earliest offset into a
fresh schema, then switch to it without a gap in service.

1. A new build (schema ``rm_<time>_<random>``) is created empty, not current.
2. A consumer with no group is assigned every partition of reporting's topics, reads each
   partition's high-water mark, seeks to the beginning and reads until every partition's
   position reached its mark: the events that existed when the rebuild began. Each batch is
   one transaction: events recorded by id (a replay is idempotent), their dossiers folded.
3. The switch, one transaction: lock the pointer (``FOR UPDATE``: the live consumer's
   transactions take it ``FOR SHARE``, so the switch waits for the batch in hand and the next
   batch waits for the switch), copy the events the live build recorded meanwhile that the
   new one lacks, fold their dossiers, move the pointer. Queries read the old build until the
   commit and the new one after it; the previous build is kept (a query may still read it),
   older ones are dropped.

The live service keeps consuming throughout. See docs/reporting.md for what a rebuild needs
once the topics' retention has dropped old events.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from services.reporting.bootstrap import SPEC
from services.reporting.consumers import TOPICS
from services.reporting.repository import builds, facts
from services.reporting.settings import ReportingSettings
from shared.contracts.events import Envelope
from shared.runtime.db import (
    SHARED_MIGRATIONS,
    create_pool,
    ensure_database,
    migrate,
    migration_files,
)

log = structlog.get_logger(__name__)

_REBUILD_LOCK = 0x7265_7002  # 'rep' 2: one rebuild at a time


class RebuildError(RuntimeError):
    """The rebuild could not read the topics up to their high-water marks."""


@dataclass(frozen=True)
class Rebuilt:
    schema: str
    replaced: str
    events: int
    skipped: int
    copied_at_switch: int
    dropped: tuple[str, ...]


async def replay(pool: asyncpg.Pool, settings: ReportingSettings, schema: str,
                 topics: Sequence[str]) -> tuple[int, int, dict[str, int]]:
    """Read ``topics`` from the beginning to their high-water marks into ``schema``;
    ``(events recorded, records skipped, marks)``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                group_id=None, enable_auto_commit=False,
                                client_id=f"{settings.service_name}-rebuild",
                                auto_offset_reset="earliest")
    await consumer.start()
    recorded = skipped = 0
    try:
        await consumer.topics()  # the cluster's metadata, so partitions are known
        partitions = [TopicPartition(t, p) for t in topics
                      for p in sorted(consumer.partitions_for_topic(t) or ())]
        consumer.assign(partitions)
        marks = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        behind = {tp for tp in partitions if marks[tp] > 0}
        idle_since = time.monotonic()
        while behind:
            batches = await consumer.getmany(*behind, timeout_ms=500, max_records=1000)
            if not batches:
                if time.monotonic() - idle_since > settings.rebuild_idle_timeout_s:
                    raise RebuildError(f"no records for {settings.rebuild_idle_timeout_s:g} s "
                                       f"before the high-water marks: {sorted(map(str, behind))}")
                continue
            idle_since = time.monotonic()
            async with pool.acquire() as conn, conn.transaction():
                dirty: set[uuid.UUID] = set()
                for tp, records in batches.items():
                    for record in records:
                        if record.offset >= marks[tp]:
                            continue  # after the mark: the live build has it, copied at switch
                        try:
                            envelope = Envelope.model_validate_json(record.value)
                        except (ValidationError, ValueError):
                            skipped += 1  # what the live consumer dead-lettered
                            continue
                        if await facts.record(conn, schema, envelope, dirty=False):
                            recorded += 1
                            dirty.add(envelope.dossier_id)
                await facts.refold(conn, schema, dirty)
            for tp in list(behind):
                if await consumer.position(tp) >= marks[tp]:
                    behind.discard(tp)
        return recorded, skipped, {f"{tp.topic}:{tp.partition}": marks[tp] for tp in partitions}
    finally:
        await consumer.stop()


async def switch_to(pool: asyncpg.Pool, schema: str, events: int,
                    marks: dict[str, int]) -> tuple[str, int]:
    """Move the pointer to ``schema`` in one transaction; ``(replaced build, events copied)``."""
    async with pool.acquire() as conn, conn.transaction():
        old = await builds.lock_current(conn)
        copied = await facts.copy_missing(conn, old, schema)
        await facts.refold(conn, schema, copied)
        total = await facts.event_count(conn, schema)
        await builds.switch(conn, schema, total, marks)
    return old, len(copied) if copied else 0


async def rebuild(settings: ReportingSettings, topics: Sequence[str] = TOPICS) -> Rebuilt:
    direct = settings.service_database_direct_url  # never through a transaction pooler
    await ensure_database(direct)
    await migrate(direct, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(settings.service_database_url,
                             **{**settings.pool_options, "min_size": 1, "max_size": 3})
    # A session lock held for the whole rebuild (one at a time), on a connection of its own.
    lock = await asyncpg.connect(direct)
    try:
        if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", _REBUILD_LOCK):
            raise RebuildError("another rebuild is running")
        await builds.ensure_current(pool)
        schema = builds.new_schema_name()
        async with pool.acquire() as conn:
            await builds.create_build(conn, schema, "rebuild")
        log.info("rebuild started", schema=schema, topics=list(topics))
        events, skipped, marks = await replay(pool, settings, schema, topics)
        replaced, copied = await switch_to(pool, schema, events, marks)
        dropped = await builds.drop_older(pool, keep={schema, replaced})
        log.info("rebuild switched", schema=schema, replaced=replaced, events=events,
                 skipped=skipped, copied_at_switch=copied, dropped=dropped)
        return Rebuilt(schema, replaced, events, skipped, copied, tuple(dropped))
    finally:
        await lock.close()  # the session ends, and its lock with it
        await pool.close()


def main(settings: ReportingSettings) -> int:
    result = asyncio.run(rebuild(settings))
    print(f"rebuilt {result.schema} from {result.events} events "
          f"({result.skipped} unreadable skipped, {result.copied_at_switch} copied at the "
          f"switch); replaced {result.replaced}; dropped {', '.join(result.dropped) or 'none'}")
    return 0
