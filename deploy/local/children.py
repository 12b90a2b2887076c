"""The processes the launcher starts after the database and the broker, as data.

Adding a process is one ``ChildSpec`` line in :func:`child_specs`. Stages start in ascending
order (each stage ready before the next starts) and stop in descending order.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deploy.local.config import HOST, SERVICES, StackConfig

SUPPORT, SERVICE = 1, 2  # stages


@dataclass(frozen=True)
class ChildSpec:
    name: str
    module: str  # run as ``python -m <module> <args>``
    ready: Callable[[], bool]  # a probe: True once the child serves
    ready_url: str  # what the probe asks, for messages
    stage: int
    args: tuple[str, ...] = ()

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.args]


def child_specs(cfg: StackConfig) -> list[ChildSpec]:
    ports, sandbox = cfg.ports, cfg.url("sandbox")
    specs = [
        ChildSpec("sandbox", "deploy.sandbox", http_ok(f"{sandbox}/healthz"),
                  f"{sandbox}/healthz", SUPPORT),
        *(ChildSpec(name, f"services.{name}", http_ok(f"{cfg.url(name)}/readyz"),
                    f"{cfg.url(name)}/readyz", SERVICE) for name in SERVICES),
    ]
    if cfg.smtp_host is None:
        specs.insert(0, ChildSpec(
            "smtp-sink", "deploy.local.smtp_sink", tcp_open(HOST, ports["smtp"]),
            f"smtp://{HOST}:{ports['smtp']}", SUPPORT,
            ("--host", HOST, "--port", str(ports["smtp"]), "--maildir", str(cfg.mail_dir)),
        ))
    return specs


def missing_modules(specs: list[ChildSpec]) -> list[str]:
    """The modules that ``python -m`` could not run, found without importing them."""
    return [spec.module for spec in specs if not _runnable(spec.module)]


def _runnable(module: str) -> bool:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # a parent package is missing
        return False
    if spec is None:
        return False
    if spec.submodule_search_locations is None:  # a plain module
        return True
    return any((Path(p) / "__main__.py").exists() for p in spec.submodule_search_locations)


def http_ok(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):  # refused, reset, HTTP error, timeout
            return False

    return probe


def tcp_open(host: str, port: int) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            with socket.create_connection((host, port), timeout=2):
                return True
        except OSError:
            return False

    return probe
