"""Start the stack in order, keep every part running, stop it in reverse order on a signal.

Supervision (see ``supervision``): a part that exits or is killed is started again after a
backoff, within a start limit. PostgreSQL and the broker are parts like the others; when one
of them has to be started again, the services (which depend on both) are killed first and
started again once it is back: a service without its database or broker can only fail its
work, and failing it would dead-letter events for an outage that is not theirs. Killing them
loses nothing (outbox, inbox, uncommitted offsets). Every restart is a JSON line in
``<log dir>/supervisor.jsonl`` and a line on the console; ``<data dir>/status.json`` holds
each part's pid, state and restart count.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from deploy.local.broker import EmbeddedBroker, write_incarnation
from deploy.local.children import SERVICE, ChildSpec
from deploy.local.config import HOST, StackConfig
from deploy.local.postgres import EmbeddedPostgres
from deploy.local.process import log_tail, spawn, stop_all, wait_until
from deploy.local.report import ready_info, ready_text
from deploy.local.supervision import GiveUp, RestartBook, RestartPolicy, write_status

STOP_TIMEOUT = {1: 10.0, 2: 20.0}  # per stage, seconds before SIGKILL
TICK_S = 0.2


class StopRequested(BaseException):  # like KeyboardInterrupt: not an error, not an Exception
    """SIGINT or SIGTERM arrived."""


class StackFailed(Exception):
    """A part of the stack did not start, or kept exiting."""


def say(line: str) -> None:
    print(f"[mot-cua] {line}", flush=True)


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes]
    log: Path
    book: RestartBook
    ready: bool = False
    spawned_at: float = 0.0
    restart_at: float | None = None  # exited: when to start it again

    @property
    def name(self) -> str:
        return self.spec.name

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise StackFailed(f"{self.spec.name} exited with code {self.proc.returncode}; "
                              f"last lines of {self.log}:\n{log_tail(self.log)}")


@dataclass
class Server:
    """PostgreSQL or the broker: started (and so restarted) by a blocking ``start``."""

    name: str
    part: EmbeddedPostgres | EmbeddedBroker
    book: RestartBook
    restart_at: float | None = None
    after_start: list[Callable[[], None]] = field(default_factory=list)


class Stack:
    def __init__(self, cfg: StackConfig, specs: list[ChildSpec], *,
                 policy: RestartPolicy | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.specs = cfg, specs
        self.policy = policy or RestartPolicy()
        self.clock = clock
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.servers: list[Server] = []
        self.children: list[Child] = []
        self.env: dict[str, str] = {}
        self.stopping = False

    # --- the life of the stack -------------------------------------------------------------

    def run(self) -> int:
        """Start, supervise until a signal, stop. 0 after a requested stop, 1 on a failure."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _raise_stop)
        code = 1
        try:
            self.start()
            while True:
                self.supervise_once()
                time.sleep(TICK_S)
        except StopRequested as stop:
            say(f"{stop}: stopping everything")
            code = 0
        except (StackFailed, GiveUp, RuntimeError, TimeoutError, OSError) as error:
            say(f"FAILED: {error}")
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, _already_stopping)
            self.stop()
        return code

    def start(self) -> None:
        cfg = self.cfg
        cfg.log_dir.mkdir(parents=True, exist_ok=True)
        database_url = cfg.database_url
        if database_url is None:
            self.postgres = EmbeddedPostgres(cfg.postgres_dir, cfg.ports["postgres"], HOST,
                                             log_dir=cfg.log_dir)
            say(f"postgres: starting on port {cfg.ports['postgres']}, data in {cfg.postgres_dir}")
            database_url = self.postgres.start().url
            self.servers.append(Server("postgres", self.postgres, self._book("postgres")))
        kafka = cfg.kafka_bootstrap_servers
        if kafka is None:
            self.broker = EmbeddedBroker(cfg.ports["kafka"], HOST, log_dir=cfg.log_dir)
            say(f"kafka: starting Tansu on port {cfg.ports['kafka']}")
            kafka = self.broker.start().bootstrap_servers
            self._mark_incarnation()
            self.servers.append(Server("kafka", self.broker, self._book("kafka"),
                                       after_start=[self._mark_incarnation]))
        self.env = cfg.child_env(database_url, kafka)
        for stage in sorted({spec.stage for spec in self.specs}):
            self._wait_ready([self._spawn(spec) for spec in self.specs if spec.stage == stage])
        self._write_status()
        info = ready_info(cfg, database_url, kafka)
        info["status_file"] = str(self.status_path)
        print(ready_text(info), flush=True)

    def stop(self) -> None:
        self.stopping = True
        for stage in sorted({child.spec.stage for child in self.children}, reverse=True):
            group = [c for c in self.children if c.spec.stage == stage]
            say(f"stopping {', '.join(c.name for c in group)}")
            codes = stop_all([c.proc for c in group], signal.SIGTERM, STOP_TIMEOUT.get(stage, 20))
            for child in group:
                say(f"{child.name}: stopped ({_describe_exit(codes[child.proc.pid])})")
        for name, part in (("kafka", self.broker), ("postgres", self.postgres)):
            if part is not None:
                say(f"{name}: stopping")
                part.stop()
                say(f"{name}: stopped")
        restarted = {book.name: book.restarts for book in self._books() if book.restarts}
        say("restarts: " + (", ".join(f"{n} {k}" for n, k in restarted.items()) or "none"))
        self._write_status()
        say("everything stopped")

    # --- supervision ------------------------------------------------------------------------

    def supervise_once(self) -> None:
        """One look at every part: note exits, start again what is due, follow readiness."""
        now = self.clock()
        for server in self.servers:
            code = server.part.returncode
            if server.restart_at is None and code is not None:
                self._server_exited(server, code, now)
        for server in self.servers:
            if server.restart_at is not None and now >= server.restart_at:
                self._restart_server(server)
        if any(s.restart_at is not None for s in self.servers):
            return  # the services wait for their database and broker
        for child in self.children:
            if child.restart_at is None and child.proc.poll() is not None:
                self._child_exited(child, _describe_exit(child.proc.returncode), now)
            elif child.restart_at is not None and now >= child.restart_at:
                self._respawn(child)
            elif child.restart_at is None and not child.ready:
                if child.spec.ready():
                    child.ready = True
                    self._record("ready", child.name, pid=child.proc.pid)
                    self._write_status()
                elif now - child.spawned_at > self.cfg.ready_timeout:
                    say(f"{child.name}: not ready after {self.cfg.ready_timeout:g} s, killing it")
                    _kill_group(child.proc)

    def _server_exited(self, server: Server, code: int, now: float) -> None:
        how = _describe_exit(code)
        delay = server.book.exited(now, how)  # GiveUp propagates: the stack stops
        server.restart_at = now + delay
        self._record("exited", server.name, exit=how, restart_in_s=delay,
                     restarts=server.book.restarts)
        server.part.stop(timeout=5)  # reap it, and whatever it left in its group
        for child in self.children:  # they depend on it: stopped now, started after it
            if child.spec.stage == SERVICE and child.restart_at is None:
                _kill_group(child.proc)
                child.proc.wait()
                child.restart_at = math.inf  # started again once every server is back
                child.ready = False
                self._record("stopped-for-dependency", child.name, dependency=server.name)
        self._write_status()

    def _restart_server(self, server: Server) -> None:
        self._record("restarting", server.name, restarts=server.book.restarts)
        try:
            server.part.start()
        except (RuntimeError, TimeoutError, OSError) as error:
            say(f"{server.name}: did not start again: {error}")
            delay = server.book.exited(self.clock(), "failed to start")
            server.restart_at = self.clock() + delay
            return
        server.restart_at = None
        server.book.started(self.clock())
        for hook in server.after_start:
            hook()
        self._record("ready", server.name, pid=server.part.pid)
        if all(s.restart_at is None for s in self.servers):
            for child in self.children:
                if child.restart_at == math.inf:
                    child.restart_at = self.clock()
        self._write_status()

    def _child_exited(self, child: Child, how: str, now: float) -> None:
        _kill_group(child.proc)  # what it left behind in its process group
        delay = child.book.exited(now, how)  # GiveUp propagates: the stack stops
        child.restart_at = now + delay
        child.ready = False
        self._record("exited", child.name, exit=how, restart_in_s=delay,
                     restarts=child.book.restarts, log=str(child.log))
        self._write_status()

    def _respawn(self, child: Child) -> None:
        child.proc = spawn(child.spec.argv, log_path=child.log, env=self.env, append=True)
        child.spawned_at = self.clock()
        child.book.started(child.spawned_at)
        child.restart_at = None
        self._record("restarted", child.name, pid=child.proc.pid, restarts=child.book.restarts)
        self._write_status()

    # --- helpers ----------------------------------------------------------------------------

    def _book(self, name: str) -> RestartBook:
        book = RestartBook(name, self.policy)
        book.started(self.clock())
        return book

    def _books(self) -> list[RestartBook]:
        return [s.book for s in self.servers] + [c.book for c in self.children]

    @property
    def status_path(self) -> Path:
        return self.cfg.data_dir / "status.json"

    def status(self) -> dict[str, dict[str, Any]]:
        parts: dict[str, dict[str, Any]] = {}
        for server in self.servers:
            parts[server.name] = {
                "pid": server.part.pid, "restarts": server.book.restarts,
                "last_exit": server.book.last_exit,
                "state": "restarting" if server.restart_at is not None else "running"}
        for child in self.children:
            state = ("stopped" if self.stopping else "restarting" if child.restart_at is not None
                     else "ready" if child.ready else "starting")
            parts[child.name] = {"pid": child.proc.pid, "restarts": child.book.restarts,
                                 "last_exit": child.book.last_exit, "state": state}
        return parts

    def _write_status(self) -> None:
        write_status(self.status_path, self.status())

    def _record(self, event: str, part: str, **fields: Any) -> None:
        """A supervision event: a JSON line in supervisor.jsonl, a line on the console."""
        entry = {"at": datetime.now(UTC).isoformat(), "event": event, "part": part, **fields}
        with open(self.cfg.log_dir / "supervisor.jsonl", "a") as log:
            log.write(json.dumps(entry) + "\n")
        details = " ".join(f"{k}={v}" for k, v in fields.items() if k != "log")
        say(f"{part}: {event} {details}".rstrip())

    def _mark_incarnation(self) -> None:
        assert self.broker is not None
        incarnation = write_incarnation(self.broker.bootstrap_servers)
        self._record("broker-incarnation", "kafka", incarnation=incarnation)

    def _spawn(self, spec: ChildSpec) -> Child:
        log = self.cfg.log_dir / f"{spec.name}.log"
        child = Child(spec, spawn(spec.argv, log_path=log, env=self.env), log,
                      self._book(spec.name), spawned_at=self.clock())
        self.children.append(child)
        say(f"{spec.name}: started (pid {child.proc.pid}), log {log}")
        return child

    def _wait_ready(self, children: list[Child]) -> None:
        def all_ready() -> bool:
            for child in children:
                child.check_alive()
                if not child.ready and child.spec.ready():
                    child.ready = True
                    say(f"{child.name}: ready")
            return all(child.ready for child in children)

        try:
            wait_until(all_ready, timeout=self.cfg.ready_timeout, interval=0.2, what="readiness")
        except TimeoutError:
            late = [c for c in children if not c.ready]
            raise StackFailed(f"not ready after {self.cfg.ready_timeout:g} s: " + "".join(
                f"\n{c.name} ({c.spec.ready_url}), last lines of {c.log}:\n{log_tail(c.log)}"
                for c in late)) from None


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a child and its process group (each child leads its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _describe_exit(code: int) -> str:
    # uvicorn re-raises the signal it stopped on, so "SIGTERM" is a graceful stop too.
    return f"exit code {code}" if code >= 0 else f"ended by {signal.Signals(-code).name}"


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    say(f"{signal.Signals(signum).name}: already stopping, please wait")
