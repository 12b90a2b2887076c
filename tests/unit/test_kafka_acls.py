"""The Kafka principals and ACLs (deploy/kafka/acls.py) against the code, the compose file and
the generated provisioning script.

The embedded broker of ``make run`` and of the integration tests has no ACLs, so what is
checked here is that the table is what the code needs, no more: each topic's writers and
readers, each principal's reach, and that the compose file and the script carry exactly it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.kafka import acls as table_module
from deploy.kafka.acls import (
    SERVICES,
    STRIMZI_PATTERNS,
    Acl,
    acl_table,
    department_codes,
    department_principal,
    portal_principal,
    provision_script,
    service_use,
)
from shared.contracts.events import EVENT_TYPES
from shared.contracts.topics import (
    CORE_TOPICS,
    DOSSIER_EVENTS,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    PORTAL_SUBMISSIONS,
    POSTAL_EVENTS,
    dead_letter,
    department_work,
    portal_receipts,
    system_topics,
)
from shared.runtime.settings import kafka_security
from tests.unit.test_compose import COMPOSE_BINARIES, COMPOSE_FILE, REPO, REQUIRED_ENV, environment

PORTALS = ("dev-portal", "vneid")


@pytest.fixture(scope="module")
def table() -> dict[str, list[Acl]]:
    return acl_table(portals=PORTALS)


def who(table: dict[str, list[Acl]], operation: str, topic: str) -> set[str]:
    return {p for p, acls in table.items() for a in acls
            if a.resource == "topic" and a.operation == operation and a.name == topic}


def topics_of(acls: list[Acl], operation: str) -> set[str]:
    return {a.name for a in acls if a.resource == "topic" and a.operation == operation}


# ------------------------------------------------------------------------ the table and the code


def test_one_principal_per_service_department_and_portal(table):
    codes = department_codes()
    assert codes == sorted({"gddt", "ktht", "tckh", "tp", "vhtt"} | set(codes))
    assert set(table) == {*SERVICES, *(department_principal(c) for c in codes),
                          *(portal_principal(p) for p in PORTALS)}
    assert {"intake", "processing", "payment", "postal", "notification",
            "reporting"} <= set(SERVICES)


def test_each_topic_has_the_writers_the_contracts_give_it(table):
    """Who may produce each topic: the service whose code emits its events, nobody else."""
    codes = department_codes()
    expected = {
        DOSSIER_EVENTS: {"intake", "processing"},  # submissions and requests; decisions
        PAYMENT_EVENTS: {"payment"},
        POSTAL_EVENTS: {"postal"},
        NOTIFICATION_EVENTS: {"notification"},
        PORTAL_SUBMISSIONS: {portal_principal(p) for p in PORTALS},
        **{department_work(c): {"processing"} for c in codes},
        **{portal_receipts(p): {"intake"} for p in PORTALS},
    }
    for topic, writers in expected.items():
        assert who(table, "Write", topic) == writers, topic
    # Every event type is produced by someone allowed to write its topic.
    for name, cls in EVENT_TYPES.items():
        topics = ([department_work(c) for c in codes] if "{" in cls.topic else [cls.topic])
        for topic in topics:
            assert who(table, "Write", topic), f"nobody may write {name}'s topic {topic}"


def test_each_service_reads_what_its_consumers_subscribe_to(table):
    """Read ACLs are the subscription tables' topics (consumers.py) and the batch hooks',
    and each consumer group the service joins."""
    reads = {name: topics_of(table[name], "Read") for name in SERVICES}
    assert reads["intake"] == {DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS,
                               NOTIFICATION_EVENTS, PORTAL_SUBMISSIONS}
    # the console's read model follows the messages' delivery
    assert reads["processing"] == {DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS,
                                   NOTIFICATION_EVENTS}
    assert reads["payment"] == {DOSSIER_EVENTS, POSTAL_EVENTS}  # the postage's quote
    assert reads["postal"] == {DOSSIER_EVENTS}
    assert reads["notification"] == {DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS}
    # Reporting reads every event topic (not the portals' raw, signed submissions).
    assert reads["reporting"] == set(CORE_TOPICS) - {PORTAL_SUBMISSIONS}
    for name in SERVICES:
        use = service_use(name)
        groups = {a.name for a in table[name] if a.resource == "group"}
        assert groups == set(use.groups) and name in groups, name
        assert all(a.pattern == "literal" for a in table[name]), f"{name}: no prefix grants"
    assert {a.name for a in table["intake"] if a.resource == "group"} == {
        "intake", "intake.portal.submissions"}


def test_a_service_writes_the_dead_letters_of_what_it_reads_and_no_other(table):
    for name in SERVICES:
        reads, writes = topics_of(table[name], "Read"), topics_of(table[name], "Write")
        dead = {t for t in writes if t.endswith(".dlq")}
        assert dead == {dead_letter(t) for t in reads}, name
        assert not (reads & writes) - {DOSSIER_EVENTS}, f"{name} writes what it reads"


def test_a_department_reads_only_its_work_queue(table):
    for code in department_codes():
        acls = table[department_principal(code)]
        assert sorted(acls) == sorted([
            Acl(department_principal(code), "topic", "Read", department_work(code)),
            Acl(department_principal(code), "group", "Read", f"department-{code}.", "prefixed"),
        ])
        for other in department_codes():
            if other != code:
                assert department_principal(code) not in who(table, "Read", department_work(other))


def test_a_portal_writes_submissions_and_reads_only_its_receipts(table):
    for portal in PORTALS:
        principal = portal_principal(portal)
        assert topics_of(table[principal], "Write") == {PORTAL_SUBMISSIONS}
        assert topics_of(table[principal], "Read") == {portal_receipts(portal)}
        assert {(a.name, a.pattern) for a in table[principal] if a.resource == "group"} == {
            (f"{principal}.", "prefixed")}
    assert who(table, "Read", portal_receipts("vneid")) == {portal_principal("vneid")}
    assert who(table, "Read", PORTAL_SUBMISSIONS) == {"intake"}


def test_nobody_may_read_what_no_consumer_needs(table):
    """No principal reads a dead-letter topic (operators do, as the admin), and every topic a
    principal reaches is a topic of the system."""
    known = set(system_topics(department_codes())) | {portal_receipts(p) for p in PORTALS}
    for principal, acls in table.items():
        assert {a.operation for a in acls} <= {"Read", "Write"}, principal
        for acl in acls:
            if acl.resource == "topic":
                assert acl.name in known, (principal, acl.name)
                assert not (acl.operation == "Read" and acl.name.endswith(".dlq")), principal
    for topic in system_topics(department_codes()):
        if not topic.endswith(".dlq"):
            assert who(table, "Read", topic), f"nobody reads {topic}"


def test_group_prefixes_cannot_reach_another_principal(table):
    """``portal-a.`` is no prefix of ``portal-ab.``'s groups: ids have no dots."""
    prefixes = [a.name for acls in table.values() for a in acls if a.pattern == "prefixed"]
    for prefix in prefixes:
        assert prefix.endswith(".") and prefix.count(".") == 1
        assert [p for p in prefixes if p.startswith(prefix)] == [prefix]


# ------------------------------------------------------------------------ the generated files


def test_the_generated_files_are_current():
    stale = table_module.main(["--check"])
    assert stale == 0, "run `python -m deploy.kafka.acls` and commit what it writes"


def _strimzi_acls(users: list[dict[str, Any]]) -> dict[str, set[tuple[str, str, str, str]]]:
    return {u["metadata"]["name"]: {
        (a["resource"]["type"], a["operations"][0], a["resource"]["name"],
         a["resource"]["patternType"]) for a in u["spec"]["authorization"]["acls"]}
        for u in users}


def test_strimzi_users_carry_the_same_table():
    users = list(yaml.safe_load_all((REPO / "deploy/k8s/kafka-users.yaml").read_text()))
    expected = {p: {(a.resource, a.operation, a.name, STRIMZI_PATTERNS[a.pattern]) for a in acls}
                for p, acls in acl_table(portals=("dev-portal",)).items()}
    assert _strimzi_acls(users) == expected
    assert all(u["spec"]["authentication"]["type"] == "scram-sha-512" for u in users)


FAKE_TOOL = """#!/usr/bin/env bash
# Stands in for kafka-acls.sh and kafka-configs.sh: records each call, one argument a line.
{ echo "--- $(basename "$0")"; printf '%s\\n' "$@"; } >> "$FAKE_CALLS"
"""


def _run_script(tmp_path: Path, portal_ids: str, passwords: dict[str, str]
                ) -> subprocess.CompletedProcess[str]:
    bin_dir, users = tmp_path / "bin", tmp_path / "users"
    bin_dir.mkdir(exist_ok=True)
    users.mkdir(exist_ok=True)
    for tool in ("kafka-acls.sh", "kafka-configs.sh"):
        (bin_dir / tool).write_text(FAKE_TOOL)
        (bin_dir / tool).chmod(0o755)
    for principal, password in passwords.items():
        (users / f"{principal}.password").write_text(password + "\n")
    (tmp_path / "calls").write_text("")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KAFKA_BIN": str(bin_dir),
           "KAFKA_USERS_DIR": str(users), "FAKE_CALLS": str(tmp_path / "calls"),
           "KAFKA_ADMIN_BOOTSTRAP": "kafka:9095", "KAFKA_ADMIN_CONFIG": "/admin.properties",
           "PORTAL_IDS": portal_ids}
    return subprocess.run(["bash", str(table_module.SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=60)


def _calls(tmp_path: Path) -> list[tuple[str, list[str]]]:
    calls: list[tuple[str, list[str]]] = []
    for line in (tmp_path / "calls").read_text().splitlines():
        if line.startswith("--- "):
            calls.append((line[4:], []))
        else:
            calls[-1][1].append(line)
    return calls


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_the_provisioning_script_creates_exactly_the_table(tmp_path: Path):
    table = acl_table(portals=PORTALS)
    passwords = {p: f"{i:02d}" + "a1B2c3D4e5F6g7H8i9J0k1L2" for i, p in enumerate(table)}
    done = _run_script(tmp_path, "dev-portal, vneid", passwords)
    assert done.returncode == 0, done.stderr
    granted: set[Acl] = set()
    credentials: dict[str, str] = {}
    for tool, args in _calls(tmp_path):
        assert _option(args, "--bootstrap-server") == "kafka:9095"
        assert _option(args, "--command-config") == "/admin.properties"
        if tool == "kafka-configs.sh":
            assert "--alter" in args and _option(args, "--entity-type") == "users"
            credentials[_option(args, "--entity-name")] = _option(args, "--add-config")
            continue
        assert tool == "kafka-acls.sh" and "--add" in args
        principal = _option(args, "--allow-principal").removeprefix("User:")
        operation, pattern = _option(args, "--operation"), _option(args, "--resource-pattern-type")
        for i, arg in enumerate(args):
            if arg in {"--topic", "--group"}:
                granted.add(Acl(principal, arg[2:], operation, args[i + 1], pattern))
    assert granted == {a for acls in table.values() for a in acls}
    assert credentials == {p: f"SCRAM-SHA-512=[iterations=8192,password={pw}]"
                           for p, pw in passwords.items()}


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("case", ["missing", "weak", "bad-portal"])
def test_the_provisioning_script_refuses_what_it_cannot_provision(tmp_path: Path, case: str):
    table = acl_table(portals=("dev-portal",))
    passwords = {p: "a1B2c3D4e5F6g7H8i9J0k1L2m3" for p in table}
    portal_ids = "dev-portal"
    if case == "missing":
        del passwords["payment"]
    elif case == "weak":
        passwords["payment"] = "short]x"
    else:
        portal_ids = "dev-portal bad/id"
    done = _run_script(tmp_path, portal_ids, passwords)
    assert done.returncode != 0
    assert ("payment" if case != "bad-portal" else "bad/id") in done.stderr


def test_the_script_is_what_the_table_generates():
    assert table_module.SCRIPT.read_text(encoding="utf-8") == provision_script()
    assert os.access(table_module.SCRIPT, os.X_OK)


# ------------------------------------------------------------------------ the compose file


def _rendered_compose() -> dict[str, Any]:
    """The compose file as compose renders it (anchors, merges, defaults resolved) when a
    compose binary is installed; as YAML otherwise."""
    for _, cmd in COMPOSE_BINARIES:
        done = subprocess.run([*cmd, "-f", str(COMPOSE_FILE), "config"], cwd=REPO,
                              env={**os.environ, **REQUIRED_ENV}, capture_output=True,
                              text=True, timeout=120)
        if done.returncode == 0:
            rendered: dict[str, Any] = yaml.safe_load(done.stdout)
            return rendered
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    return _rendered_compose()


def _secrets(svc: dict[str, Any]) -> dict[str, str]:
    """target -> source of a service's compose secrets."""
    out = {}
    for item in svc.get("secrets", []):
        if isinstance(item, str):
            out[item] = item
        else:
            out[item.get("target") or item["source"]] = item["source"]
    return out


def test_each_compose_service_logs_in_as_its_principal(rendered, table):
    services = rendered["services"]
    runs = {name: svc for name, svc in services.items()
            if "services." in " ".join(shlex.split(svc["command"]) if isinstance(
                svc.get("command"), str) else svc.get("command") or [])}
    assert {"intake", "processing", "payment", "postal", "notification"} <= set(runs)
    for name, svc in runs.items():
        env = environment(svc)
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert env["KAFKA_SASL_USERNAME"] == name and name in table
        assert env["KAFKA_SASL_PASSWORD_FILE"] == "/run/secrets/kafka-password"  # noqa: S105
        assert env["KAFKA_SSL_CAFILE"] == "/run/secrets/kafka-ca"
        assert env["KAFKA_CREATE_TOPICS"] == "false", "the principals may not create topics"
        assert _secrets(svc) == {"kafka-password": f"kafka-{name}", "kafka-ca": "kafka-ca"}
    declared = rendered["secrets"]
    for name in SERVICES:
        assert Path(declared[f"kafka-{name}"]["file"]).name == f"{name}.password"


def test_the_broker_refuses_what_no_acl_allows(rendered):
    env = environment(rendered["services"]["kafka"])
    protocols = dict(item.split(":")
                     for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(protocols.values()) <= {"SASL_SSL", "SSL"}, "no listener without TLS"
    assert protocols["INTERNAL"] == protocols["EXTERNAL"] == "SASL_SSL"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    for listener in (n for n, p in protocols.items() if p == "SASL_SSL"):
        # The image's spelling of listener.name.<l>.scram-sha-512.sasl.jaas.config: "-" is "__".
        jaas = env[f"KAFKA_LISTENER_NAME_{listener}_SCRAM__SHA__512_SASL_JAAS_CONFIG"]
        assert "ScramLoginModule required" in jaas, listener
    for listener in (n for n, p in protocols.items() if p == "SSL"):
        assert env[f"KAFKA_LISTENER_NAME_{listener}_SSL_CLIENT_AUTH"] == "required", listener
    assert set(env["KAFKA_SUPER_USERS"].split(";")) == {"User:CN=kafka", "User:CN=admin"}
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "BROKER"


def test_the_security_step_runs_the_generated_script_for_the_same_portals(rendered):
    services = rendered["services"]
    step, topics = services["kafka-security"], services["kafka-topics"]
    assert step["entrypoint"] == ["/bin/bash", "/deploy/kafka/provision-security.sh"]
    assert step["image"] == services["kafka"]["image"] == topics["image"]
    assert environment(step)["PORTAL_IDS"] == environment(topics)["PORTAL_IDS"]
    assert environment(step)["KAFKA_ADMIN_BOOTSTRAP"] == environment(topics)[
        "KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9095"
    mounts = defaultdict(str)
    for volume in step["volumes"]:
        source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) else (
            volume.split(":")[0], volume.split(":")[1])
        mounts[target] = str(source)
    assert mounts["/run/kafka-users"].endswith("var/kafka/users")
    assert mounts["/deploy/kafka"].endswith("deploy/kafka")
    assert step["restart"] == "no"


def test_no_private_key_is_committed():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    bad = [f for f in tracked if f.endswith((".key", ".p12", ".jks", ".pem", ".password"))]
    assert not bad, bad
    assert "var/kafka/" in (REPO / ".gitignore").read_text().split()


# ------------------------------------------------------------------------ the clients


def test_clients_refuse_a_sasl_protocol_without_a_login():
    with pytest.raises(ValueError, match="KAFKA_SASL_USERNAME"):
        kafka_security("SASL_SSL", username="intake", password="")
    assert kafka_security("PLAINTEXT") == {"security_protocol": "PLAINTEXT"}
    login = kafka_security("SASL_SSL", "SCRAM-SHA-512", "intake", "pw")
    assert login["sasl_plain_username"] == "intake" and login["ssl_context"] is not None


def test_the_portal_cli_reads_its_password_from_a_file(tmp_path: Path):
    from shared.portal.client import kafka_security_from_env

    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    login = kafka_security_from_env({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                                     "KAFKA_SASL_USERNAME": "portal-vneid",
                                     "KAFKA_SASL_PASSWORD_FILE": str(secret)})
    assert login["sasl_plain_username"] == "portal-vneid"
    assert login["sasl_plain_password"] == "s3cret"  # noqa: S105
    assert login["sasl_mechanism"] == "SCRAM-SHA-512"
    assert stat.S_ISREG(secret.stat().st_mode)
