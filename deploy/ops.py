"""``python -m deploy.ops``: the operator's tools for what is left after a failure.

    python -m deploy.ops status                      # outbox backlog, consumer lag, DLQ counts
    python -m deploy.ops dlq list
    python -m deploy.ops dlq show dossier.events.dlq --cause ValidationError --limit 5
    python -m deploy.ops dlq redrive dossier.events.dlq --cause "ConnectionRefused" --yes
    python -m deploy.ops dlq purge dossier.events.dlq --yes
    python -m deploy.ops effects failed [--service notification]
    python -m deploy.ops effects retry notification email_message --id 42 --yes

Addresses from ``DATABASE_URL`` and ``KAFKA_BOOTSTRAP_SERVERS`` (or the options), the
defaults of ``make run`` otherwise. Each service's database is ``mot_cua_<service>`` on that
server. The runbook is docs/operations.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic, RecordsToDelete
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from deploy.local.config import SERVICES
from shared.contracts.topics import DLQ_SUFFIX
from shared.runtime.settings import with_database

DLQ_HEADERS = ("x-dlq-error", "x-dlq-error-type", "x-dlq-attempts", "x-dlq-consumer",
               "x-dlq-dead-lettered-at", "x-original-topic", "x-original-partition",
               "x-original-offset", "x-dlq-truncated")
# A table is a side-effect table when it has the columns the shared effect loop moves.
EFFECT_COLUMNS = {"status", "attempts", "next_attempt_at", "last_error"}


@dataclass(frozen=True)
class Target:
    database_url: str  # the server (any database on it)
    bootstrap_servers: str
    services: Sequence[str] = SERVICES

    def database(self, service: str) -> str:
        return with_database(self.database_url, f"mot_cua_{service}")


# --- Kafka -----------------------------------------------------------------------------------

async def _consumer(target: Target) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=target.bootstrap_servers, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    return consumer


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


async def dlq_counts(target: Target) -> dict[str, int]:
    """Records held in each dead-letter topic (end minus beginning offsets)."""
    consumer = await _consumer(target)
    try:
        counts: dict[str, int] = {}
        for topic in sorted(t for t in await consumer.topics() if t.endswith(DLQ_SUFFIX)):
            partitions = await _partitions(consumer, topic)
            ends = await consumer.end_offsets(partitions)
            starts = await consumer.beginning_offsets(partitions)
            counts[topic] = sum(ends[p] - starts[p] for p in partitions)
        return counts
    finally:
        await consumer.stop()


def _decoded_headers(record: Any) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in record.headers or ()}


async def dlq_records(target: Target, topic: str, *, cause: str | None = None,
                      consumer_name: str | None = None, limit: int | None = None
                      ) -> list[dict[str, Any]]:
    """The dead letters of ``topic`` (filtered by a substring of the cause, or the consumer
    that gave up), oldest first, with what their headers say."""
    consumer = await _consumer(target)
    try:
        partitions = await _partitions(consumer, topic)
        if not partitions:
            raise SystemExit(f"no topic {topic!r}")
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for partition in partitions:
            await consumer.seek_to_beginning(partition)
        found: list[dict[str, Any]] = []
        remaining = {p for p in partitions if await consumer.position(p) < ends[p]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=2000)
            if not batch:
                break
            for partition, records in batch.items():
                for record in records:
                    headers = _decoded_headers(record)
                    if cause and cause.lower() not in headers.get("x-dlq-error", "").lower():
                        continue
                    if consumer_name and headers.get("x-dlq-consumer") != consumer_name:
                        continue
                    found.append({
                        "topic": topic, "partition": record.partition, "offset": record.offset,
                        "key": (record.key or b"").decode(errors="replace"),
                        "value": record.value, "headers": headers,
                        "event_type": headers.get("event_type"),
                        "cause": headers.get("x-dlq-error"),
                        "consumer": headers.get("x-dlq-consumer"),
                        "attempts": headers.get("x-dlq-attempts"),
                        "original": f"{headers.get('x-original-topic')}"
                                    f"[{headers.get('x-original-partition')}]"
                                    f"@{headers.get('x-original-offset')}"})
                if await consumer.position(partition) >= ends[partition]:
                    remaining.discard(partition)
        found.sort(key=lambda r: (r["partition"], r["offset"]))
        return found[:limit] if limit else found
    finally:
        await consumer.stop()


async def dlq_redrive(target: Target, topic: str, *, cause: str | None = None,
                      consumer_name: str | None = None) -> int:
    """Publish the matching dead letters again to their original topic, key, value and
    headers as they were (the dead-letter headers dropped, ``x-redriven-from`` added). The
    consumers' inboxes make a redrive of an event already handled harmless."""
    records = await dlq_records(target, topic, cause=cause, consumer_name=consumer_name)
    producer = AIOKafkaProducer(bootstrap_servers=target.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for record in records:
            if "x-dlq-truncated" in record["headers"]:
                continue  # its value was not kept: nothing to send again
            original = record["headers"].get("x-original-topic") or topic.removesuffix(DLQ_SUFFIX)
            headers = [(k, v.encode()) for k, v in record["headers"].items()
                       if k not in DLQ_HEADERS and k != "x-dlq-traceback"]
            headers.append(("x-redriven-from", f"{topic}@{record['partition']}:"
                                               f"{record['offset']}".encode()))
            await producer.send_and_wait(original, record["value"],
                                         key=record["key"].encode() or None, headers=headers)
        return sum(1 for r in records if "x-dlq-truncated" not in r["headers"])
    finally:
        await producer.stop()


async def dlq_purge(target: Target, topic: str) -> int:
    """Delete every record of a dead-letter topic (Kafka deletes up to an offset, so a
    purge is all of it: redrive what you need first)."""
    if not topic.endswith(DLQ_SUFFIX):
        raise SystemExit(f"{topic!r} is not a dead-letter topic")
    consumer = await _consumer(target)
    try:
        partitions = await _partitions(consumer, topic)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
    finally:
        await consumer.stop()
    admin = AIOKafkaAdminClient(bootstrap_servers=target.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_records({p: RecordsToDelete(ends[p]) for p in partitions})
    except KafkaError:  # a broker without DeleteRecords (Tansu): the topic made anew
        await _recreate(target, topic, len(partitions))
    finally:
        await admin.close()
    return sum(ends[p] - starts[p] for p in partitions)


async def _recreate(target: Target, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=target.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([topic])
        for attempt in range(50):  # the deletion completes on the broker's own time
            try:
                await admin.create_topics([NewTopic(topic, partitions, 1)])
                return
            except TopicAlreadyExistsError:
                await asyncio.sleep(0.1 * (attempt + 1))
        raise SystemExit(f"{topic} was deleted but could not be created again")
    finally:
        await admin.close()


async def consumer_lag(target: Target, groups: Sequence[str] | None = None) -> dict[str, int]:
    """Each consumer group's records not yet handled, over the topics it has committed on:
    end offset minus committed offset, and the whole partition (end minus beginning) where
    it has committed nothing yet, as after a reset of the embedded broker, whose offsets
    die with it. A group that has committed nothing at all is left out. The groups are the
    services' (each consumes as its name) unless named; they are read as a member would,
    which every broker answers."""
    return {group: sum(behind.values())
            for group, behind in (await partition_lag(target, groups)).items() if behind}


async def partition_lag(target: Target, groups: Sequence[str] | None = None,
                        reads: Mapping[str, Collection[str]] | None = None,
                        ) -> dict[str, dict[TopicPartition, int]]:
    """:func:`consumer_lag` per partition: group -> partition -> records not yet handled,
    for every partition of each topic the group has committed on, and of the topics
    ``reads`` says it reads (group -> topics), committed on or not."""
    probe = await _consumer(target)
    try:
        topics = sorted(t for t in await probe.topics() if not t.startswith("__"))
        partitions = [p for t in topics for p in await _partitions(probe, t)]
        ends = await probe.end_offsets(partitions)
        starts = await probe.beginning_offsets(partitions)
    finally:
        await probe.stop()
    lag: dict[str, dict[TopicPartition, int]] = {}
    for group in groups or target.services:
        member = AIOKafkaConsumer(bootstrap_servers=target.bootstrap_servers, group_id=group,
                                  enable_auto_commit=False)
        await member.start()
        try:
            committed = {p: await member.committed(p) for p in partitions}
        finally:
            await member.stop()
        read = {p.topic for p, offset in committed.items() if offset is not None}
        read |= set((reads or {}).get(group, ()))
        lag[group] = {p: max(0, ends[p] - (starts[p] if offset is None else offset))
                      for p, offset in committed.items() if p.topic in read}
    return lag


# --- PostgreSQL -----------------------------------------------------------------------------

async def _connect(url: str) -> asyncpg.Connection | None:
    try:
        return await asyncpg.connect(url)
    except asyncpg.InvalidCatalogNameError:
        return None  # the service never started here


async def effect_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """SELECT table_name, array_agg(column_name::text) AS columns
           FROM information_schema.columns WHERE table_schema = 'public'
           GROUP BY table_name ORDER BY table_name""")
    return [r["table_name"] for r in rows if EFFECT_COLUMNS <= set(r["columns"])]


async def failed_effects(target: Target, service: str | None = None) -> list[dict[str, Any]]:
    """Side-effect rows the effect loop gave up on (status ``failed``), per service."""
    found: list[dict[str, Any]] = []
    for name in [service] if service else target.services:
        conn = await _connect(target.database(name))
        if conn is None:
            continue
        try:
            for table in await effect_tables(conn):
                rows = await conn.fetch(
                    f"""SELECT id::text AS id, attempts, last_error, next_attempt_at
                        FROM {table} WHERE status = 'failed' ORDER BY id""")  # noqa: S608
                found += [{"service": name, "table": table, **dict(r)} for r in rows]
        finally:
            await conn.close()
    return found


async def retry_effects(target: Target, service: str, table: str, ids: Sequence[str] | None,
                        *, due_status: str = "pending") -> int:
    """Put failed rows back in the effect loop's hands: due now, attempts counted afresh.
    The idempotency key of each row is unchanged, so a provider that did act answers the
    retry with what it did."""
    conn = await _connect(target.database(service))
    if conn is None:
        raise SystemExit(f"no database for {service}")
    try:
        if table not in await effect_tables(conn):
            raise SystemExit(f"{table!r} is not a side-effect table of {service}")
        status = await conn.execute(
            f"""UPDATE {table} SET status = $1, attempts = 0, next_attempt_at = now()
                WHERE status = 'failed' AND ($2::text[] IS NULL OR id::text = any($2))""",  # noqa: S608
            due_status, list(ids) if ids else None)
        return int(status.split()[-1])
    finally:
        await conn.close()


async def outbox_backlog(target: Target) -> dict[str, dict[str, Any]]:
    backlog: dict[str, dict[str, Any]] = {}
    for name in target.services:
        conn = await _connect(target.database(name))
        if conn is None:
            continue
        try:
            row = await conn.fetchrow(
                """SELECT count(*) AS unsent,
                          extract(epoch FROM now() - min(created_at)) AS oldest_s
                   FROM outbox_message WHERE sent_at IS NULL""")
            backlog[name] = {"unsent": row["unsent"],
                             "oldest_unsent_s": round(row["oldest_s"] or 0, 1)}
        finally:
            await conn.close()
    return backlog


async def status(target: Target, groups: Sequence[str] | None = None) -> dict[str, Any]:
    """The outbox backlog and failed side effects per service, consumer lag per group, and
    dead letters per topic: the first look after an incident."""
    failed = await failed_effects(target)
    backlog = await outbox_backlog(target)
    for name, entry in backlog.items():
        entry["failed_effects"] = sum(1 for f in failed if f["service"] == name)
    return {"services": backlog, "consumer_lag": await consumer_lag(target, groups),
            "dead_letters": await dlq_counts(target)}


# --- the command line -----------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    cli = argparse.ArgumentParser(prog="python -m deploy.ops", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--database-url", default=env("DATABASE_URL",
                                                   "postgresql://postgres@127.0.0.1:5432/postgres"))
    cli.add_argument("--bootstrap-servers", default=env("KAFKA_BOOTSTRAP_SERVERS",
                                                        "127.0.0.1:9092"))
    cli.add_argument("--services", default=",".join(SERVICES),
                     help="comma-separated service names (default: all)")
    commands = cli.add_subparsers(dest="command", required=True)
    commands.add_parser("status", help="outbox backlog, consumer lag and DLQ counts"
                        ).add_argument("--group", action="append", dest="groups",
                                       help="consumer group (default: the services')")
    dlq = commands.add_parser("dlq", help="dead-letter topics").add_subparsers(
        dest="dlq_command", required=True)
    dlq.add_parser("list", help="every dead-letter topic and how many records it holds")
    for name in ("show", "redrive", "purge"):
        sub = dlq.add_parser(name)
        sub.add_argument("topic")
        if name != "purge":
            sub.add_argument("--cause", help="only dead letters whose cause contains this")
            sub.add_argument("--consumer", help="only those the named consumer gave up on")
        if name == "show":
            sub.add_argument("--limit", type=int, default=20)
            sub.add_argument("--traceback", action="store_true")
        else:
            sub.add_argument("--yes", action="store_true", help="do it (else: say what)")
    effects = commands.add_parser("effects", help="side effects given up on").add_subparsers(
        dest="effects_command", required=True)
    effects.add_parser("failed").add_argument("--service")
    retry = effects.add_parser("retry")
    retry.add_argument("service")
    retry.add_argument("table")
    retry.add_argument("--id", action="append", dest="ids", help="row id (repeatable)")
    retry.add_argument("--all", action="store_true", help="every failed row of the table")
    retry.add_argument("--due-status", default="pending",
                       help="the status the effect loop claims (default pending)")
    retry.add_argument("--yes", action="store_true")
    return cli


async def _run(args: argparse.Namespace) -> Any:
    target = Target(args.database_url, args.bootstrap_servers,
                    tuple(s for s in args.services.split(",") if s))
    if args.command == "status":
        return await status(target, args.groups)
    if args.command == "dlq":
        if args.dlq_command == "list":
            return await dlq_counts(target)
        if args.dlq_command == "show":
            records = await dlq_records(target, args.topic, cause=args.cause,
                                        consumer_name=args.consumer, limit=args.limit)
            for record in records:
                record["value"] = (record["value"] or b"").decode(errors="replace")[:2000]
                if not args.traceback:
                    record["headers"].pop("x-dlq-traceback", None)
            return records
        if args.dlq_command == "redrive":
            if not args.yes:
                matching = await dlq_records(target, args.topic, cause=args.cause,
                                             consumer_name=args.consumer)
                return {"would_redrive": len(matching), "hint": "add --yes to do it"}
            return {"redriven": await dlq_redrive(target, args.topic, cause=args.cause,
                                                  consumer_name=args.consumer)}
        if not args.yes:
            return {"would_purge": (await dlq_counts(target)).get(args.topic, 0),
                    "hint": "add --yes to do it"}
        return {"purged": await dlq_purge(target, args.topic)}
    if args.effects_command == "failed":
        return await failed_effects(target, args.service)
    if not args.ids and not args.all:
        raise SystemExit("name rows with --id, or --all")
    if not args.yes:
        failed = [f for f in await failed_effects(target, args.service)
                  if f["table"] == args.table and (args.all or f["id"] in args.ids)]
        return {"would_retry": len(failed), "hint": "add --yes to do it"}
    return {"retried": await retry_effects(target, args.service, args.table,
                                           None if args.all else args.ids,
                                           due_status=args.due_status)}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(json.dumps(asyncio.run(_run(args)), ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
