"""The runtime through a real PgBouncer in transaction mode (docs/deploy.md).

A PgBouncer (Debian's package: ``make pgbouncer`` installs it) is started in front of the
session's PostgreSQL with ``pool_mode = transaction``, and the runtime's parts are wired as
``shared.runtime.service`` wires them from ``DATABASE_POOLER=transaction``: the pool through
PgBouncer (no statement cache, no reset query), the relay's lease and the LISTEN wake-ups on
direct connections. Each part is then shown to work, and to come back when its direct
connection is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker

from shared.contracts.events import Envelope
from shared.runtime.broker import provision_topics, publisher
from shared.runtime.db import (
    SHARED_MIGRATIONS,
    Notifications,
    create_pool,
    direct_session,
    ensure_database,
    migrate,
    migration_files,
)
from shared.runtime.effects import Done, Effect, run_effects
from shared.runtime.outbox import OutboxRelay, Transactions, UnitOfWork
from shared.runtime.service import ServiceSpec, build_app
from shared.runtime.settings import ServiceSettings, with_database
from tests.messaging import Probe, event_consumer
from tests.support import free_port, wait_until

pytestmark = pytest.mark.integration

SLOW_POLL_S = 60.0  # longer than any wait below: what happens in time was woken by a NOTIFY


def _pgbouncer_binary() -> str | None:
    candidates = [os.environ.get("PGBOUNCER_PATH"), shutil.which("pgbouncer"),
                  "/usr/sbin/pgbouncer"]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@dataclass(frozen=True)
class Bouncer:
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def bouncer(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bouncer]:
    binary = _pgbouncer_binary()
    if binary is None:
        pytest.skip("pgbouncer is not installed and could not be: `make pgbouncer` installs "
                    "Debian's package (as root), or set PGBOUNCER_PATH")
    server = urlsplit(postgres_url)
    user = server.username or "postgres"
    folder = tmp_path_factory.mktemp("pgbouncer")
    port = free_port()
    (folder / "userlist.txt").write_text(f'"{user}" ""\n')
    # "single" has one server connection: two clients on it prove transaction pooling.
    (folder / "pgbouncer.ini").write_text(f"""\
[databases]
single = host={server.hostname} port={server.port} dbname=postgres pool_size=1
* = host={server.hostname} port={server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
pool_mode = transaction
default_pool_size = 4
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
""")
    owner: dict[str, int] = {}
    if os.geteuid() == 0:  # PgBouncer refuses to run as root: as the embedded server's user
        from deploy.local.pg_install import prepare_for_system_user

        uid, gid = prepare_for_system_user(folder)
        for path in (folder, *folder.iterdir()):
            os.chown(path, uid, gid)
        owner = {"user": uid, "group": gid}
    process = subprocess.Popen([binary, str(folder / "pgbouncer.ini")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **owner)
    try:
        asyncio.run(wait_until(_accepts(Bouncer(port, user)), timeout=20,
                               description="pgbouncer accepts connections"))
    except TimeoutError:
        process.kill()
        _, err = process.communicate(timeout=10)
        log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
        raise RuntimeError(f"pgbouncer did not start: {err.decode()} {log}") from None
    yield Bouncer(port, user)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _accepts(bouncer: Bouncer):
    async def check() -> bool:
        try:
            conn = await asyncpg.connect(bouncer.url("single"), statement_cache_size=0,
                                         timeout=2)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            return False
        await conn.close()
        return True
    return check


@dataclass
class Wired:
    """The runtime's connections as a service gets them from ``DATABASE_POOLER=transaction``."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    direct: str  # the service's database, straight to PostgreSQL


@pytest.fixture
async def wired(bouncer: Bouncer, postgres_url: str, kafka_bootstrap: str
                ) -> AsyncIterator[Wired]:
    settings = ServiceSettings(
        service_name="pooled", database_name=f"pooled_{uuid.uuid4().hex[:10]}",
        database_url=bouncer.url("postgres"), database_direct_url=postgres_url,
        database_pooler="transaction", kafka_bootstrap_servers=kafka_bootstrap)
    direct = settings.service_database_direct_url
    assert settings.service_database_url == bouncer.url(settings.service_database_name)
    assert settings.pool_options["statement_cache_size"] == 0
    await ensure_database(direct)
    await migrate(direct, migration_files(SHARED_MIGRATIONS))
    pool = await create_pool(settings.service_database_url, **settings.pool_options)
    yield Wired(settings, pool, direct)
    await pool.close()


@pytest.fixture
async def broker(kafka_bootstrap: str) -> AsyncIterator[KafkaBroker]:
    broker = KafkaBroker(kafka_bootstrap, acks="all")
    await broker.start()
    yield broker
    await broker.stop()


async def _new_topic(settings: ServiceSettings) -> str:
    topic = f"test.{uuid.uuid4().hex[:10]}"
    await provision_topics(settings, [topic, f"{topic}.dlq"])
    return topic


async def _read(kafka_bootstrap: str, topic: str, count: int) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        group_id=f"reader-{uuid.uuid4().hex[:6]}", enable_auto_commit=False)
    await consumer.start()
    records: list = []
    try:
        async with asyncio.timeout(30):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def _backend(direct: str, application_name: str) -> int | None:
    conn = await asyncpg.connect(direct)
    try:
        return await conn.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 "
            "AND datname = current_database()", application_name)
    finally:
        await conn.close()


async def _kill(direct: str, pid: int) -> None:
    conn = await asyncpg.connect(direct)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_clients_share_one_server_connection_between_transactions(
        bouncer: Bouncer) -> None:
    """The pooler is really in transaction mode: two clients open at once run, in turn, on
    the one server connection of ``single``, so nothing of a session follows a client."""
    first, second = [await asyncpg.connect(bouncer.url("single"), statement_cache_size=0)
                     for _ in range(2)]
    try:
        server = await first.fetchval("SELECT pg_backend_pid()")
        assert await second.fetchval("SELECT pg_backend_pid()") == server
        assert await first.fetchval("SELECT $1::int", 1) == 1
        assert await second.fetchval("SELECT $1::int", 2) == 2
    finally:
        await first.close()
        await second.close()


class _CountingRelay(OutboxRelay):
    batches = 0

    async def relay_once(self) -> int:
        count = await super().relay_once()
        self.batches += 1
        return count


async def test_the_relay_leases_on_its_direct_connection_wakes_on_notify_and_comes_back(
        wired: Wired, broker: KafkaBroker, kafka_bootstrap: str) -> None:
    topic = await _new_topic(wired.settings)
    relay = _CountingRelay(wired.pool, publisher(broker), poll_interval_s=SLOW_POLL_S,
                           reconnect_s=0.1,
                           session=direct_session(wired.direct, "pooled-lease"))
    task = asyncio.create_task(relay.run())
    try:
        await wait_until(lambda: relay.holds_lease and relay.batches, timeout=10,
                         description="lease taken, first look at the outbox done")
        holder = await _backend(wired.direct, "pooled-lease")
        locks = await wired.pool.fetch(
            """SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
            OutboxRelay.LEASE_KEY)
        assert holder is not None and [r["pid"] for r in locks] == [holder], \
            "the lease is held by the relay's direct connection, not a pooled one"

        dossier_id = uuid.uuid4()  # one key, one partition: the order is the outbox's

        async def emit(code: str) -> Envelope:
            async with UnitOfWork(wired.pool, producer="pooled") as uow:
                envelope = uow.emit(Probe(on_topic=topic, dossier_code=code),
                                    dossier_id=dossier_id)
                await uow.commit()
            return envelope

        first = await emit("T-1")
        records = await _read(kafka_bootstrap, topic, 1)  # well before the 60-s poll
        assert Envelope.model_validate_json(records[0].value).event_id == first.event_id

        await _kill(wired.direct, holder)
        await wait_until(lambda: relay.sessions == 2 and relay.holds_lease, timeout=15,
                         description="the relay opens a new direct connection and leases again")
        assert await _backend(wired.direct, "pooled-lease") != holder
        second = await emit("T-2")
        records = await _read(kafka_bootstrap, topic, 2)
        assert [Envelope.model_validate_json(r.value).event_id for r in records] == \
            [first.event_id, second.event_id]
        assert await wired.pool.fetchval(
            "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL") == 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_inbox_dedupes_a_redelivered_event_through_the_pooler(
        wired: Wired, broker: KafkaBroker, kafka_bootstrap: str) -> None:
    topic = await _new_topic(wired.settings)
    await wired.pool.execute("CREATE TABLE handled (event_id uuid)")

    async def handler(event, envelope, uow) -> None:
        await uow.conn.execute("INSERT INTO handled VALUES ($1)", envelope.event_id)

    envelope = Envelope.wrap(Probe(on_topic=topic, dossier_code="T-1"),
                             dossier_id=uuid.uuid4(), producer="test")
    for _ in range(2):
        await broker.publish(envelope.model_dump_json().encode(), topic,
                             key=str(envelope.dossier_id).encode())
    records = await _read(kafka_bootstrap, topic, 2)
    consumer = event_consumer("pooled", {topic: {Probe: handler}}, wired.pool, broker)
    for record in records:
        await consumer.process(record)

    assert [r["event_id"] for r in await wired.pool.fetch("SELECT event_id FROM handled")] == \
        [envelope.event_id]
    assert await wired.pool.fetchval("SELECT count(*) FROM inbox_message") == 1


_WORK_TABLE = """
CREATE TABLE pooled_work (
    id uuid PRIMARY KEY, status text NOT NULL DEFAULT 'pending',
    attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text, pending_since timestamptz, updated_at timestamptz,
    dossier_id uuid NOT NULL, dossier_code text NOT NULL, correlation_id uuid,
    causation_event_id uuid);
CREATE FUNCTION pooled_work_notify() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN PERFORM pg_notify('pooled_work', ''); RETURN NULL; END $$;
CREATE TRIGGER pooled_work_notify AFTER INSERT ON pooled_work
    FOR EACH STATEMENT EXECUTE FUNCTION pooled_work_notify();
"""

_CLAIM = """SELECT id, attempts, pending_since, dossier_id, dossier_code, correlation_id,
                   causation_event_id
            FROM pooled_work WHERE status = 'pending' AND next_attempt_at <= $1
            ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED"""


async def test_the_effect_loop_claims_through_the_pooler_and_wakes_on_its_direct_listener(
        wired: Wired) -> None:
    await wired.pool.execute(_WORK_TABLE)
    attempted: list[str] = []

    async def attempt(row) -> Done:
        attempted.append(row["dossier_code"])
        return Done([Probe(on_topic="pooled.done", dossier_code=row["dossier_code"])])

    effect = Effect(name="pooled", table="pooled_work", claim=_CLAIM, attempt=attempt,
                    given_up=lambda row, reason, n: Probe(on_topic="pooled.failed",
                                                          dossier_code=row["dossier_code"]))
    notifications = Notifications(direct_session(wired.direct, "pooled-listen"),
                                  reconnect_s=0.1)
    transactions = Transactions(wired.pool, "pooled", notifications)
    loop = asyncio.create_task(run_effects([effect], transactions, interval_s=SLOW_POLL_S))

    async def queue_and_wait(code: str) -> None:
        await wired.pool.execute("INSERT INTO pooled_work (id, dossier_id, dossier_code) "
                                 "VALUES ($1, $2, $3)", uuid.uuid4(), uuid.uuid4(), code)

        async def done() -> bool:
            return await wired.pool.fetchval(
                "SELECT status FROM pooled_work WHERE dossier_code = $1", code) == "done"

        await wait_until(done, timeout=15, description=f"{code} done, woken by its NOTIFY")

    try:
        await wait_until(lambda: notifications.connected, timeout=10, description="listening")
        listener = await _backend(wired.direct, "pooled-listen")
        assert listener is not None
        await queue_and_wait("W-1")

        await _kill(wired.direct, listener)
        await wait_until(lambda: notifications.connections == 2 and notifications.connected,
                         timeout=15, description="the listener reconnects")
        await queue_and_wait("W-2")
        assert attempted == ["W-1", "W-2"]
        events = [Envelope.model_validate_json(r["payload"]).event().dossier_code
                  for r in await wired.pool.fetch("SELECT payload FROM outbox_message "
                                                  "WHERE topic = 'pooled.done' ORDER BY id")]
        assert events == ["W-1", "W-2"]
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await notifications.close()


async def test_the_settings_refuse_a_transaction_pooler_without_a_direct_url() -> None:
    with pytest.raises(ValueError, match="DATABASE_DIRECT_URL"):
        ServiceSettings(database_pooler="transaction")
    plain = ServiceSettings(service_name="x", database_url="postgresql://u@db:5432/postgres")
    assert plain.service_database_direct_url == with_database(plain.database_url, "mot_cua_x")
    assert plain.pool_options["statement_cache_size"] == 100


async def test_a_whole_service_runs_through_the_pooler(
        bouncer: Bouncer, postgres_url: str, kafka_bootstrap: str, broker: KafkaBroker,
        tmp_path) -> None:
    """A service as ``shared.runtime.service`` runs it from ``DATABASE_POOLER=transaction``:
    its consumer takes an event (delivered twice) through the pooler, its effect loop does the
    work the handler queued, the relay publishes what the effect emitted; the lease and the
    LISTEN are on direct connections of their own."""
    name = f"pooled{uuid.uuid4().hex[:8]}"
    source, out = f"test.{name}.in", f"test.{name}.out"
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_work.sql").write_text(_WORK_TABLE)

    async def queue(event, envelope, uow) -> None:
        await uow.conn.execute("INSERT INTO pooled_work (id, dossier_id, dossier_code) "
                               "VALUES ($1, $2, $3)", uuid.uuid4(), envelope.dossier_id,
                               event.dossier_code)

    async def attempt(row) -> Done:
        return Done([Probe(on_topic=out, dossier_code=row["dossier_code"])])

    effect = Effect(name="pooled", table="pooled_work", claim=_CLAIM, attempt=attempt,
                    given_up=lambda row, reason, n: Probe(on_topic=out, dossier_code="failed"))

    @contextlib.asynccontextmanager
    async def assemble(platform):
        yield platform

    spec = ServiceSpec(name=name, title=name, migrations=tmp_path / "migrations",
                       assemble=assemble, subscriptions=lambda deps: {source: {Probe: queue}},
                       effects=lambda deps: [effect],
                       topics=lambda settings: [source, f"{source}.dlq", out, f"{out}.dlq"])
    settings = ServiceSettings(
        service_name=name, database_url=bouncer.url("postgres"),
        database_direct_url=postgres_url, database_pooler="transaction",
        kafka_bootstrap_servers=kafka_bootstrap, outbox_poll_interval_s=SLOW_POLL_S,
        consumer_fetch_wait_ms=100)
    direct = settings.service_database_direct_url
    app = build_app(spec, settings)
    async with app.router.lifespan_context(app):
        dossier_id = uuid.uuid4()  # one key: the records stay in order, in and out
        first, second = (Envelope.wrap(Probe(on_topic=source, dossier_code=code),
                                       dossier_id=dossier_id, producer="test")
                         for code in ("S-1", "S-2"))
        for envelope in (first, first, second):  # the first delivered twice: handled once
            await broker.publish(envelope.model_dump_json().encode(), source,
                                 key=str(dossier_id).encode())
        records = await _read(kafka_bootstrap, out, 2)
        assert [Envelope.model_validate_json(r.value).event().dossier_code
                for r in records] == ["S-1", "S-2"]
        pool = app.state.platform.pool
        assert await pool.fetchval("SELECT count(*) FROM inbox_message") == 2
        assert await pool.fetch("SELECT dossier_code, status FROM pooled_work "
                                "ORDER BY dossier_code") == [("S-1", "done"), ("S-2", "done")]
        assert await _backend(direct, f"{name}-relay-lease") is not None
        assert await _backend(direct, f"{name}-listen") is not None
        assert app.state.platform.transactions.notifications.connected
