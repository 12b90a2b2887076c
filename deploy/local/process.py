"""Child processes that cannot outlive their parent, and polling a condition with a deadline.

Every child is started with ``PR_SET_PDEATHSIG``: the kernel signals it when its parent dies,
even by ``kill -9``. The signal is tied to the *thread* that forked the child, so spawn from a
thread that lives as long as the child does (the main thread, in practice).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: the child only calls it


def _die_with_parent(death_signal: int) -> Callable[[], None]:
    parent = os.getpid()

    def preexec() -> None:
        # CPython runs this after the uid switch (which would clear the setting), before exec.
        if _libc.prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0) != 0:
            os._exit(126)
        if os.getppid() != parent:  # the parent died before the setting took effect
            os._exit(126)

    return preexec


def spawn(
    argv: Sequence[str],
    *,
    log_path: Path,
    death_signal: int = signal.SIGTERM,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: int | None = None,
    group: int | None = None,
    append: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session (a terminal's Ctrl-C reaches only us), output to a log.

    ``death_signal`` is what the child receives if this process dies without stopping it;
    ``append`` keeps the log of an earlier run (a restarted child).
    """
    with open(log_path, "ab" if append else "wb") as log:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent(death_signal),
            user=user,
            group=group,
            extra_groups=[] if user is not None else None,
        )


def stop_all(
    procs: Sequence[subprocess.Popen[bytes]], sig: int = signal.SIGTERM, timeout: float = 20.0
) -> dict[int, int]:
    """Signal every process at once, wait up to ``timeout`` in total, then SIGKILL stragglers.

    Returns ``{pid: exit code}``. Whatever is left in each child's process group afterwards
    (a grandchild it failed to stop) is killed too.
    """
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    deadline = time.monotonic() + timeout
    codes: dict[int, int] = {}
    for proc in procs:
        try:
            codes[proc.pid] = proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _killpg(proc.pid)
            codes[proc.pid] = proc.wait()
        _killpg(proc.pid)
    return codes


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``predicate`` until it is true; TimeoutError naming ``what`` after ``timeout`` s.

    The predicate may raise to give up early (e.g. the process it waits for has exited).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, for error messages."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
