"""Start the stack in order, report what runs where, stop it in reverse order on a signal."""

from __future__ import annotations

import math
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from deploy.local.broker import EmbeddedBroker
from deploy.local.children import ChildSpec
from deploy.local.config import HOST, StackConfig
from deploy.local.postgres import EmbeddedPostgres
from deploy.local.process import log_tail, spawn, stop_all, wait_until
from deploy.local.report import ready_info, ready_text

STOP_TIMEOUT = {1: 10.0, 2: 20.0}  # per stage, seconds before SIGKILL


class StopRequested(BaseException):  # like KeyboardInterrupt: not an error, not an Exception
    """SIGINT or SIGTERM arrived."""


class StackFailed(Exception):
    """A part of the stack did not start, or exited on its own."""


def say(line: str) -> None:
    print(f"[mot-cua] {line}", flush=True)


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes]
    log: Path
    ready: bool = False

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise StackFailed(f"{self.spec.name} exited with code {self.proc.returncode}; "
                              f"last lines of {self.log}:\n{log_tail(self.log)}")


class Stack:
    def __init__(self, cfg: StackConfig, specs: list[ChildSpec]) -> None:
        self.cfg, self.specs = cfg, specs
        self.postgres: EmbeddedPostgres | None = None
        self.broker: EmbeddedBroker | None = None
        self.children: list[Child] = []

    def run(self) -> int:
        """Start, wait for a signal, stop. 0 after a requested stop, 1 when something failed."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _raise_stop)
        code = 1
        try:
            self.start()
            wait_until(self._all_alive, timeout=math.inf, interval=0.2, what="a stop signal")
        except StopRequested as stop:
            say(f"{stop}: stopping everything")
            code = 0
        except (StackFailed, RuntimeError, TimeoutError, OSError) as error:
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
        kafka = cfg.kafka_bootstrap_servers
        if kafka is None:
            self.broker = EmbeddedBroker(cfg.ports["kafka"], HOST, log_dir=cfg.log_dir)
            say(f"kafka: starting Tansu on port {cfg.ports['kafka']}")
            kafka = self.broker.start().bootstrap_servers
        env = cfg.child_env(database_url, kafka)
        for stage in sorted({spec.stage for spec in self.specs}):
            self._wait_ready([self._spawn(spec, env) for spec in self.specs if spec.stage == stage])
        print(ready_text(ready_info(cfg, database_url, kafka)), flush=True)

    def stop(self) -> None:
        for stage in sorted({child.spec.stage for child in self.children}, reverse=True):
            group = [c for c in self.children if c.spec.stage == stage]
            say(f"stopping {', '.join(c.spec.name for c in group)}")
            codes = stop_all([c.proc for c in group], signal.SIGTERM, STOP_TIMEOUT.get(stage, 20))
            for child in group:
                say(f"{child.spec.name}: stopped ({_describe_exit(codes[child.proc.pid])})")
        for name, part in (("kafka", self.broker), ("postgres", self.postgres)):
            if part is not None:
                say(f"{name}: stopping")
                part.stop()
                say(f"{name}: stopped")
        say("everything stopped")

    def _spawn(self, spec: ChildSpec, env: dict[str, str]) -> Child:
        log = self.cfg.log_dir / f"{spec.name}.log"
        child = Child(spec, spawn(spec.argv, log_path=log, env=env), log)
        self.children.append(child)
        say(f"{spec.name}: started (pid {child.proc.pid}), log {log}")
        return child

    def _wait_ready(self, children: list[Child]) -> None:
        def all_ready() -> bool:
            for child in children:
                child.check_alive()
                if not child.ready and child.spec.ready():
                    child.ready = True
                    say(f"{child.spec.name}: ready")
            return all(child.ready for child in children)

        try:
            wait_until(all_ready, timeout=self.cfg.ready_timeout, interval=0.2, what="readiness")
        except TimeoutError:
            late = [c for c in children if not c.ready]
            raise StackFailed(f"not ready after {self.cfg.ready_timeout:g} s: " + "".join(
                f"\n{c.spec.name} ({c.spec.ready_url}), last lines of {c.log}:\n{log_tail(c.log)}"
                for c in late)) from None

    def _all_alive(self) -> bool:
        for child in self.children:
            child.check_alive()
        return False


def _describe_exit(code: int) -> str:
    # uvicorn re-raises the signal it stopped on, so "SIGTERM" is a graceful stop too.
    return f"exit code {code}" if code >= 0 else f"ended by {signal.Signals(-code).name}"


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    say(f"{signal.Signals(signum).name}: already stopping, please wait")
