"""When to start a part of the stack again after it exited: compose's ``restart: on-failure``
and systemd's ``Restart=always`` with ``StartLimitBurst``/``StartLimitIntervalSec``, as data.

The policy is pure (it is told the time, it never reads a clock), so its tests drive it with a
controlled clock. The launcher asks it, each time a part exits, how long to wait before the
next start, or whether to give up because the part keeps dying.

- The first restart waits ``initial_delay_s``; each following one twice as long as the last,
  up to ``max_delay_s``: a part that dies at once is not restarted in a busy loop.
- A part that ran ``stable_after_s`` before it exited is healthy again: its next restart waits
  ``initial_delay_s`` once more.
- More than ``max_restarts`` restarts within ``window_s`` seconds: give up (systemd's
  start-limit). The launcher then stops the whole stack and says why: a crash loop is a fault
  to fix, not something to hide.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RestartPolicy:
    initial_delay_s: float = 0.5
    max_delay_s: float = 10.0
    stable_after_s: float = 30.0
    max_restarts: int = 10
    window_s: float = 60.0


class GiveUp(Exception):
    """A part restarted more often than the policy allows."""


@dataclass
class RestartBook:
    """One part's restart history under a :class:`RestartPolicy`."""

    name: str
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    restarts: int = 0  # in total, since the launcher started
    started_at: float | None = None
    last_exit: str | None = None
    _recent: deque[float] = field(default_factory=deque)
    _delay_s: float = 0.0

    def started(self, now: float) -> None:
        self.started_at = now

    def exited(self, now: float, how: str) -> float:
        """The part exited (``how``: its exit, for the record); the seconds to wait before
        starting it again. Raises :class:`GiveUp` past the start limit."""
        policy = self.policy
        self.last_exit = how
        ran_for = now - self.started_at if self.started_at is not None else 0.0
        if ran_for >= policy.stable_after_s or self._delay_s == 0.0:
            self._delay_s = policy.initial_delay_s
        else:
            self._delay_s = min(self._delay_s * 2, policy.max_delay_s)
        while self._recent and self._recent[0] <= now - policy.window_s:
            self._recent.popleft()
        if len(self._recent) >= policy.max_restarts:
            raise GiveUp(f"{self.name} exited ({how}) after {len(self._recent)} restarts "
                         f"within {policy.window_s:g} s: giving up")
        self._recent.append(now)
        self.restarts += 1
        self.started_at = None
        return self._delay_s

    def restarts_in_window(self, now: float) -> int:
        return sum(1 for t in self._recent if t > now - self.policy.window_s)


def write_status(path: Path, parts: dict[str, dict[str, Any]]) -> None:
    """``<data dir>/status.json``: each part's pid, state and restart count, replaced whole
    (write then rename) so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"parts": parts}, indent=1, sort_keys=True))
    partial.replace(path)
