"""The Kafka principals and ACLs of Một Cửa, computed from the code: the one place they live.

Every principal authenticates with SASL/SCRAM-SHA-512 over TLS (docs/deploy.md says why):

- one per service, named after it (``intake`` …). It READs the topics its consumers subscribe
  to (the ServiceSpec's subscription tables and batch hooks, ``services/<name>/consumers.py``),
  with READ on each consumer group it joins; it WRITEs the topics of the events it emits
  (``Event.topic`` of every event class its code names and does not consume, with
  ``{department_code}`` expanded over the catalog) and the dead-letter topic ``<topic>.dlq`` of
  every topic it reads. A service that answers portals (its code calls
  ``portal_receipts``) WRITEs each portal's ``portal.<id>.receipts``.
- one per department system, ``department-<code>`` for each department code of every catalog
  version: READ on ``department.<code>.work`` only, and on its consumer groups
  ``department-<code>.<anything>``.
- one per portal, ``portal-<id>``: WRITE on ``portal.submissions``, READ on
  ``portal.<id>.receipts`` only, and on its groups ``portal-<id>.<anything>``.

What reads this table: the provisioning script (``deploy/kafka/provision-security.sh``, the
``kafka-security`` step of docker-compose.yml), Strimzi's KafkaUsers
(``deploy/k8s/kafka-users.yaml``, written by ``python -m deploy.k8s.manifests``) and the tests
(tests/unit/test_kafka_acls.py), which fail when a generated file is stale. Regenerate the
script with ``python -m deploy.kafka.acls``.
"""

from __future__ import annotations

import ast
import functools
import importlib
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shared.contracts.events import EVENT_TYPES, Event
from shared.contracts.topics import (
    DOSSIER_EVENTS,
    NOTIFICATION_EVENTS,
    PAYMENT_EVENTS,
    PORTAL_SUBMISSIONS,
    POSTAL_EVENTS,
    dead_letter,
    department_work,
    portal_receipts,
)

REPO = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO / "services"
SCRIPT = Path(__file__).with_name("provision-security.sh")

# Every service the table has a principal for. A service whose package is not in this tree yet
# (reporting is being written in parallel) uses its DECLARED entry until it is: from then on
# its code decides, like every other service's.
SERVICES = ("intake", "processing", "payment", "postal", "notification", "reporting")
DECLARED: dict[str, dict[str, Any]] = {
    "reporting": {"groups": ("reporting",),
                  "reads": (DOSSIER_EVENTS, PAYMENT_EVENTS, POSTAL_EVENTS, NOTIFICATION_EVENTS),
                  "writes": ()},
}
# The development portal of make run (services.intake.settings.DEV_PORTAL), and the portals
# compose provisions when PORTAL_IDS names none.
DEV_PORTALS = ("dev-portal",)

Operation = Literal["Read", "Write"]
Resource = Literal["topic", "group"]
Pattern = Literal["literal", "prefixed"]


@dataclass(frozen=True, order=True)
class Acl:
    """ALLOW ``principal`` to ``operation`` the ``resource`` named (or prefixed) ``name``."""

    principal: str
    resource: Resource
    operation: Operation
    name: str
    pattern: Pattern = "literal"


def department_principal(code: str) -> str:
    return f"department-{code}"


def portal_principal(portal_id: str) -> str:
    return f"portal-{portal_id}"


@functools.cache
def _department_codes() -> tuple[str, ...]:
    from shared.reference.catalog import load_catalog

    return tuple(sorted({code for v in load_catalog().versions for code in v.department_codes}))


def department_codes() -> list[str]:
    """The departments of every catalog version: a service creates (and processing may write)
    the topics of all of them."""
    return list(_department_codes())


# --------------------------------------------------------------------- what the code does


class _Anything:
    """Stands in for a service's dependencies while its subscription tables are read: the
    tables only bind handlers (``partial(handler, deps)``), they call nothing."""

    def __getattr__(self, name: str) -> _Anything:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Anything:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(())


@dataclass(frozen=True)
class ServiceUse:
    """What a service does on Kafka, as its code says."""

    name: str
    groups: tuple[str, ...]
    reads: tuple[str, ...]
    writes: tuple[str, ...]  # event topics, {department_code} still in them
    answers_portals: bool = False


def _code_names(package: Path) -> tuple[set[str], set[str]]:
    """The names a package's code loads (annotations aside) and the functions it calls."""
    loaded: set[str] = set()
    called: set[str] = set()
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        annotations = {id(n) for node in ast.walk(tree)
                       for ann in _annotations(node) for n in ast.walk(ann)}
        for node in ast.walk(tree):
            if id(node) in annotations:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loaded.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                loaded.add(node.attr)
            if isinstance(node, ast.Call):
                func = node.func
                called.add(func.id if isinstance(func, ast.Name)
                           else func.attr if isinstance(func, ast.Attribute) else "")
    return loaded, called


def _annotations(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
        yield node.annotation
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
        yield node.returns


@functools.cache
def service_use(name: str) -> ServiceUse:
    """Read a service's Kafka use from its ServiceSpec and its code."""
    package = SERVICES_DIR / name
    if not (package / "__init__.py").is_file():
        declared = DECLARED[name]
        return ServiceUse(name, tuple(declared["groups"]), tuple(declared["reads"]),
                          tuple(declared["writes"]))
    spec = importlib.import_module(f"services.{name}.bootstrap").SPEC
    deps = _Anything()
    routes = spec.subscriptions(deps)
    groups: list[str] = [spec.name] if routes else []
    reads: set[str] = set(routes)
    consumed: set[type[Event]] = {t for table in routes.values() for t in table}
    for subscription in spec.consumers(deps):
        groups.append(subscription.group)
        reads.update(subscription.hook.topics)
    _loaded, called = _code_names(package)
    # An event is emitted where it is built (``DossierDecided(...)``); naming a class only to
    # read it (reporting folds every type; isinstance, a table key) is no write.
    emitted = {cls for cls_name, cls in EVENT_TYPES.items()
               if cls_name in called and cls not in consumed}
    return ServiceUse(name, tuple(sorted(groups)), tuple(sorted(reads)),
                      tuple(sorted({cls.topic for cls in emitted})),
                      answers_portals="portal_receipts" in called)


# --------------------------------------------------------------------- the table


def _expand(topic: str, departments: Iterable[str]) -> list[str]:
    if "{department_code}" in topic:
        return [topic.format(department_code=code) for code in departments]
    return [topic]


def service_acls(use: ServiceUse, departments: Iterable[str],
                 portals: Iterable[str]) -> list[Acl]:
    departments, portals = list(departments), list(portals)
    acls = [Acl(use.name, "group", "Read", group) for group in use.groups]
    acls += [Acl(use.name, "topic", "Read", topic) for topic in use.reads]
    writes = {t for topic in use.writes for t in _expand(topic, departments)}
    writes |= {dead_letter(topic) for topic in use.reads}
    if use.answers_portals:
        writes |= {portal_receipts(p) for p in portals}
    acls += [Acl(use.name, "topic", "Write", topic) for topic in writes]
    return sorted(acls)


def department_acls(code: str) -> list[Acl]:
    who = department_principal(code)
    return [Acl(who, "group", "Read", f"{who}.", "prefixed"),
            Acl(who, "topic", "Read", department_work(code))]


def portal_acls(portal_id: str) -> list[Acl]:
    who = portal_principal(portal_id)
    return [Acl(who, "group", "Read", f"{who}.", "prefixed"),
            Acl(who, "topic", "Read", portal_receipts(portal_id)),
            Acl(who, "topic", "Write", PORTAL_SUBMISSIONS)]


def acl_table(portals: Iterable[str] = DEV_PORTALS,
              departments: Iterable[str] | None = None) -> dict[str, list[Acl]]:
    """Principal -> its ACLs: services, then departments, then portals."""
    codes = department_codes() if departments is None else list(departments)
    portals = list(portals)
    table = {name: service_acls(service_use(name), codes, portals) for name in SERVICES}
    table |= {department_principal(c): department_acls(c) for c in codes}
    table |= {portal_principal(p): portal_acls(p) for p in portals}
    return table


# --------------------------------------------------------------------- the generated files

PORTAL_VAR = "${portal}"  # the generated script loops over PORTAL_IDS with this variable


def _acl_commands(principal: str, acls: list[Acl]) -> list[str]:
    """One kafka-acls.sh call per operation, resource kind and pattern (each call is a JVM)."""
    calls: dict[tuple[str, str, str], list[str]] = {}
    for acl in acls:
        calls.setdefault((acl.operation, acl.resource, acl.pattern), []).append(acl.name)
    lines = []
    for (operation, resource, pattern), names in sorted(calls.items()):
        targets = " ".join(f'--{resource} "{n}"' for n in names)
        lines.append(f'acls "{principal}" {operation} {pattern} {targets}')
    return lines


def provision_script() -> str:
    """The bash script the compose step ``kafka-security`` runs in the apache/kafka image."""
    table = acl_table(portals=())
    # What a portal adds, to every principal (its own, and intake's WRITE on its receipts).
    with_portal = acl_table(portals=[PORTAL_VAR])
    per_portal = {who: sorted(set(acls) - set(table.get(who, ())))
                  for who, acls in with_portal.items()}
    per_portal = {who: acls for who, acls in per_portal.items() if acls}
    out = [
        "#!/usr/bin/env bash",
        "# GENERATED by `python -m deploy.kafka.acls` from deploy/kafka/acls.py: do not edit.",
        "# Creates each principal's SCRAM-SHA-512 credential and its ACLs, as the admin (mTLS).",
        "# Passwords are read from $KAFKA_USERS_DIR/<principal>.password",
        "# (deploy/kafka/dev-secrets.sh makes them for development). Idempotent: re-running",
        "# sets the same credentials again and adds no ACL twice; it removes no stale ACL",
        "# (docs/deploy.md: removing a department or a portal).",
        "set -euo pipefail",
        "",
        'BOOTSTRAP="${KAFKA_ADMIN_BOOTSTRAP:-kafka:9095}"',
        'ADMIN_CONFIG="${KAFKA_ADMIN_CONFIG:-/etc/kafka-admin/admin.properties}"',
        'USERS_DIR="${KAFKA_USERS_DIR:-/run/kafka-users}"',
        'KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"',
        "",
        "scram() {  # scram <principal>: its credential, from its password file",
        '  local file="$USERS_DIR/$1.password" password',
        '  password="$(tr -d \'\\n\' < "$file")"',
        '  if [[ ! "$password" =~ ^[A-Za-z0-9]{24,}$ ]]; then',
        '    echo "kafka-security: $file must hold 24+ letters and digits" >&2; exit 2',
        "  fi",
        '  "$KAFKA_BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" \\',
        '    --command-config "$ADMIN_CONFIG" --alter --entity-type users --entity-name "$1" \\',
        '    --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" > /dev/null',
        "}",
        "",
        "acls() {  # acls <principal> <operation> <literal|prefixed> --topic|--group <name>…",
        '  local principal="$1" operation="$2" pattern="$3"; shift 3',
        '  "$KAFKA_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" \\',
        '    --command-config "$ADMIN_CONFIG" --add --allow-principal "User:$principal" \\',
        '    --operation "$operation" --resource-pattern-type "$pattern" "$@" > /dev/null',
        "}",
        "",
    ]
    for principal, acls in table.items():
        out += [f"# {principal}", f'scram "{principal}"', *_acl_commands(principal, acls), ""]
    out += [
        "# Each portal of PORTAL_IDS (spaces or commas), as create-topics.sh reads it.",
        'portal_ids="${PORTAL_IDS:-}"',
        "set -f",
        "for portal in ${portal_ids//,/ }; do",
        '  if [[ ! "$portal" =~ ^[A-Za-z0-9_-]+$ ]]; then',
        '    echo "kafka-security: invalid portal id \'$portal\' in PORTAL_IDS" >&2; exit 2',
        "  fi",
        f'  scram "{portal_principal(PORTAL_VAR)}"',
        *(f"  {line}" for principal, acls in per_portal.items()
          for line in _acl_commands(principal, acls)),
        "done",
        "set +f",
        'echo "kafka-security: principals and ACLs provisioned"',
        "",
    ]
    return "\n".join(out)


STRIMZI_PATTERNS = {"literal": "literal", "prefixed": "prefix"}


def kafka_users(cluster: str = "mot-cua", portals: Iterable[str] = DEV_PORTALS) -> list[dict]:
    """Strimzi KafkaUser resources: SCRAM-SHA-512 and the same ACLs (the User Operator makes
    each user's password Secret)."""
    users = []
    for principal, acls in acl_table(portals=portals).items():
        users.append({
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaUser",
            "metadata": {"name": principal, "labels": {"strimzi.io/cluster": cluster}},
            "spec": {
                "authentication": {"type": "scram-sha-512"},
                "authorization": {"type": "simple", "acls": [
                    {"resource": {"type": acl.resource, "name": acl.name,
                                  # Strimzi spells kafka-acls.sh's "prefixed" "prefix".
                                  "patternType": STRIMZI_PATTERNS[acl.pattern]},
                     "operations": [acl.operation], "host": "*"}
                    for acl in acls]},
            },
        })
    return users


def main(argv: list[str] | None = None) -> int:
    """Write the generated files (``--check``: fail if they are stale instead)."""
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for path, text in ((SCRIPT, provision_script()),):
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if path.suffix == ".sh":
                path.chmod(0o755)
    for path in stale:
        print(f"{'stale' if check else 'wrote'} {path.relative_to(REPO)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
