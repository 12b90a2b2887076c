"""The whole system as ``make run`` starts it, on free ports, plus a sampler of each service's
resident memory (the benchmark's peak RSS figures)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

READY = "MOT_CUA_READY "
SERVICES = ("intake", "processing", "payment", "postal", "notification", "reporting")


@contextmanager
def running_stack(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """``python -m deploy.local --ports-from 0``; yields its ready information, stops it after."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.local", "--ports-from", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "INTAKE_DOCUMENT_DIR": str(data_dir / "documents"), **(env or {})},
        start_new_session=True,
    )
    assert process.stdout is not None
    output: list[str] = []
    info = None
    for line in process.stdout:  # ends when the launcher exits before it is ready
        output.append(line)
        if line.startswith(READY):
            info = json.loads(line[len(READY):])
            break
    if info is None:
        process.wait(10)
        raise RuntimeError("the stack did not become ready:\n" + "".join(output[-60:]))
    # Keep reading the launcher's output, or it blocks once the pipe is full.
    drain = threading.Thread(target=lambda: output.extend(process.stdout or ()), daemon=True)
    drain.start()
    info["stack_ready_s"] = round(time.monotonic() - started, 1)
    info["pids"] = service_pids(process.pid)
    info["launcher_pid"] = process.pid
    try:
        yield info
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        drain.join(5)


def service_pids(launcher_pid: int) -> dict[str, int]:
    """The pid of each service process, found by its ``-m services.<name>`` command line."""
    pids: dict[str, int] = {}
    for child in psutil.Process(launcher_pid).children(recursive=True):
        try:
            cmdline = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        for name in SERVICES:
            if f"services.{name}" in cmdline:
                pids[name] = child.pid
    return pids


def cpu_seconds_by_part(launcher_pid: int) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack (services, postgres, broker, ...),
    including the processes that have ended: PostgreSQL's backends and autovacuum workers
    come and go, and their time is their parent's ``children_*`` once reaped."""
    used: dict[str, float] = {}
    for child in psutil.Process(launcher_pid).children(recursive=True):
        try:
            cmdline, times = " ".join(child.cmdline()), child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        part = next((n for n in SERVICES if f"services.{n}" in cmdline), None) \
            or next((n for n in ("postgres", "tansu", "sandbox", "smtp") if n in cmdline),
                    "other")
        used[part] = (used.get(part, 0.0) + times.user + times.system
                      + times.children_user + times.children_system)
    return used


class MemorySampler:
    """Samples the RSS of each service in a thread; ``peaks`` holds the highest seen, in MB,
    ``samples`` every ``(epoch s, service, MB)`` (the soak's slopes)."""

    def __init__(self, pids: dict[str, int], interval_s: float = 0.5) -> None:
        self._procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._interval_s = interval_s
        self._stop = threading.Event()
        self.peaks: dict[str, float] = dict.fromkeys(pids, 0.0)
        self.samples: list[tuple[float, str, float]] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, proc in self._procs.items():
                try:
                    rss_mb = proc.memory_info().rss / 2**20
                except psutil.NoSuchProcess:
                    continue
                self.peaks[name] = max(self.peaks[name], rss_mb)
                self.samples.append((time.time(), name, rss_mb))
            self._stop.wait(self._interval_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
