"""``--profile DIR``: py-spy samples every service during the national day, and a summary says
where each one spends its time (the flame data is kept in DIR as collapsed stacks)."""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")


@contextmanager
def profiled(pids: dict[str, int], out_dir: Path | None, rate: int = 50) -> Iterator[None]:
    if out_dir is None:
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    spies = [subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--rate", str(rate),
                               "--format", "raw", "--nonblocking", "-o", str(out_dir / name)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for name, pid in pids.items()]
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(signal.SIGINT)
        for spy in spies:
            spy.wait(30)


def summarise(stacks: Path, top: int = 25) -> str:
    """The functions with the most samples on the stack (inclusive), as ``share  function``."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        for frame in set(frames.split(";")):
            inclusive[frame] += samples
    rows = [f"{n / total:6.1%}  {frame}" for frame, n in inclusive.most_common(top)]
    return f"{stacks.name}: {total} samples\n" + "\n".join(rows)
