"""What the local stack runs where: data folders, ports and the children's environment."""

from __future__ import annotations

import json
import os
import secrets
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
SERVICES = ("intake", "processing", "payment", "postal", "notification", "reporting")

# name -> (default port, environment variable that overrides it)
PORTS: dict[str, tuple[int, str]] = {
    "postgres": (5432, "MOT_CUA_PG_PORT"),
    "kafka": (9092, "MOT_CUA_KAFKA_PORT"),
    "smtp": (1025, "SMTP_PORT"),
    "sandbox": (8100, "SANDBOX_HTTP_PORT"),
    **{name: (8000 + i, f"{name.upper()}_HTTP_PORT") for i, name in enumerate(SERVICES, 1)},
}


@dataclass(frozen=True)
class StackConfig:
    data_dir: Path
    ports: Mapping[str, int]
    database_url: str | None  # an external server; None starts the embedded one
    kafka_bootstrap_servers: str | None  # an external broker; None starts the embedded one
    smtp_host: str | None  # an external SMTP server; None starts the sink
    ready_timeout: float = 60.0

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], data_dir: Path, ports_from: int | None, ready_timeout: float
    ) -> StackConfig:
        return cls(
            data_dir=data_dir.resolve(),
            ports=resolve_ports(env, ports_from),
            database_url=env.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            smtp_host=env.get("SMTP_HOST") or None,
            ready_timeout=ready_timeout,
        )

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    def url(self, name: str) -> str:
        return f"http://{HOST}:{self.ports[name]}"

    def ports_to_bind(self) -> dict[str, int]:
        """The ports this launcher itself will listen on (external services excluded)."""
        external = {"postgres": self.database_url, "kafka": self.kafka_bootstrap_servers,
                    "smtp": self.smtp_host}
        return {name: port for name, port in self.ports.items() if not external.get(name)}

    def child_env(self, database_url: str, kafka_bootstrap_servers: str) -> dict[str, str]:
        """The launcher's environment plus the addresses of everything the stack runs."""
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")  # logs reach var/log/ as they are written
        if self.kafka_bootstrap_servers is None:  # our Tansu, which holds an empty fetch
            # ~200 ms even when records arrive: the two hops from a portal to a department's
            # queue (intake's ingress, processing's consumer) ask for 20 ms instead.
            for service in ("INTAKE", "PROCESSING"):
                env.setdefault(f"{service}_CONSUMER_FETCH_WAIT_MS", str(TANSU_FETCH_WAIT_MS))
            # Tansu holds a consumer's join for half its session: 6 s (Kafka's minimum)
            # instead of aiokafka's 10 s starts a service 2 s sooner and lets a killed
            # member's successor in after ~11 s instead of ~18 s.
            env.setdefault("KAFKA_SESSION_TIMEOUT_MS", str(TANSU_SESSION_TIMEOUT_MS))
        env.update({
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
            "PAYMENT_GATEWAY_URL": f"{self.url('sandbox')}/payment",
            "CARRIER_API_URL": f"{self.url('sandbox')}/carrier/shiip/public-api",
            "SMS_GATEWAY_URL": f"{self.url('sandbox')}/sms",
            # Uploaded documents live with the rest of this stack's data.
            "INTAKE_DOCUMENT_DIR": env.get("INTAKE_DOCUMENT_DIR")
            or str(self.data_dir / "documents"),
            "MOT_CUA_ENV": "development",
        })
        # Notification's messages API and its approvers' alerts, for local use only.
        env.setdefault("NOTIFICATION_OPERATOR_TOKEN", DEV_OPERATOR_TOKEN)
        # The emailed receipt's QR code and link: the citizen pages' tracking form.
        env.setdefault("NOTIFICATION_TRACKING_URL",
                       f"{self.url('intake')}/citizen/track?code={{code}}")
        env.setdefault("NOTIFICATION_APPROVER_EMAILS", json.dumps(DEV_APPROVERS))
        # The officer console opens citizens' documents from the store intake writes.
        env.setdefault("PROCESSING_DOCUMENT_DIR", env["INTAKE_DOCUMENT_DIR"])
        # Officers' tokens: processing signs them, intake checks them for the timeline's
        # verify; one key made up per run unless the operator gave one.
        token_key = env.setdefault("PROCESSING_TOKEN_SECRET", secrets.token_urlsafe(32))
        env.setdefault("INTAKE_OFFICER_TOKEN_SECRET", token_key)
        # The carrier's webhooks: postal's secret path, made up per run, and the sandbox told
        # it (as a shop tells GHN); a parcel takes a state every SANDBOX_CARRIER_STEP_S.
        hook_token = env.setdefault("POSTAL_WEBHOOK_TOKEN", secrets.token_urlsafe(24))
        env.setdefault("SANDBOX_CARRIER_WEBHOOK_URL",
                       f"{self.url('postal')}/v1/carriers/ghn/webhooks/{hook_token}")
        env.setdefault("SANDBOX_CARRIER_STEP_S", "8")
        env.setdefault("POSTAL_POLL_AFTER_S", "60")
        env.setdefault("POSTAL_POLL_EVERY_S", "10")
        if self.smtp_host is None:  # else the SMTP_* variables the launcher got are passed on
            env.update({"SMTP_HOST": HOST, "SMTP_PORT": str(self.ports["smtp"])})
        for name in ("sandbox", *SERVICES):
            env[PORTS[name][1]] = str(self.ports[name])
        return env


TANSU_FETCH_WAIT_MS = 20
TANSU_SESSION_TIMEOUT_MS = 6_000
DEV_OPERATOR_TOKEN = "dev-operator-token"  # noqa: S105 - local only; README, "Messages"
DEV_APPROVERS = {code: f"lanhdao.{code}@motcua.local"  # the catalogs' departments
                 for code in ("gddt", "ktht", "kthtdt", "tckh", "tp", "vhtt", "vhxh", "vp")}


def resolve_ports(env: Mapping[str, str], ports_from: int | None) -> dict[str, int]:
    """Each port from its variable if set, else a free port from ``ports_from`` (0: any free
    port the system picks) when given, else the default."""
    free = _free_ports(ports_from) if ports_from is not None else None
    ports: dict[str, int] = {}
    for name, (default, variable) in PORTS.items():
        if env.get(variable):
            ports[name] = int(env[variable])
        else:
            ports[name] = next(free) if free is not None else default
    return ports


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers will
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _free_ports(start: int) -> Iterator[int]:
    given: set[int] = set()
    candidate = start
    while True:
        if start == 0:
            with socket.socket() as sock:
                sock.bind((HOST, 0))
                candidate = sock.getsockname()[1]
        if candidate not in given and port_is_free(candidate):
            given.add(candidate)
            yield candidate
        if start != 0:
            candidate += 1
            if candidate > 65535:
                raise RuntimeError(f"no free ports left above {start}")
