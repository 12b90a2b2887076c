"""deploy/k8s checked statically, as the compose file is: no cluster needed.

Core kinds (Deployment, Service, PodDisruptionBudget, Namespace) are validated against
Kubernetes' own OpenAPI-derived JSON schemas with ``kubernetes-validate`` (PyPI; it ships the
schemas of every Kubernetes release, so the check runs offline; kubeconform is not on PyPI).
The operators' custom resources (Strimzi's Kafka, KafkaNodePool, KafkaTopic, KafkaUser;
CloudNativePG's Cluster and Pooler) have no schema there: their apiVersion, kind and the fields
the operators require are checked here, with the references between resources.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from deploy.k8s import manifests
from deploy.kafka.acls import DEV_PORTALS, department_codes
from shared.contracts.topics import portal_receipts, system_topics

K8S = Path(manifests.__file__).resolve().parent
KUBERNETES_VERSION = "1.33.0"
CORE = {("v1", "Namespace"), ("v1", "Service"), ("apps/v1", "Deployment"),
        ("policy/v1", "PodDisruptionBudget")}
CUSTOM = {("kafka.strimzi.io/v1beta2", "Kafka"), ("kafka.strimzi.io/v1beta2", "KafkaNodePool"),
          ("kafka.strimzi.io/v1beta2", "KafkaTopic"), ("kafka.strimzi.io/v1beta2", "KafkaUser"),
          ("postgresql.cnpg.io/v1", "Cluster"), ("postgresql.cnpg.io/v1", "Pooler")}
DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
SERVICE_PACKAGES = sorted(
    p.parent.name for p in (K8S.parents[1] / "services").glob("*/__init__.py"))


def _docs() -> list[tuple[str, dict[str, Any]]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    out = []
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")):
            if doc:
                out.append((name, doc))
    return out


DOCS = _docs()


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in DOCS if doc["kind"] == kind]


def test_the_generated_manifests_are_current():
    assert manifests.main(["--check"]) == 0, "run `python -m deploy.k8s.manifests` and commit"


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_every_resource_is_a_known_kind_with_a_valid_name():
    for name, doc in DOCS:
        key = (doc["apiVersion"], doc["kind"])
        assert key in CORE | CUSTOM, f"{name}: unknown {key}"
        assert DNS_1123.match(doc["metadata"]["name"]), (name, doc["metadata"]["name"])
    names = [(d["kind"], d["metadata"]["name"]) for _, d in DOCS]
    assert len(names) == len(set(names)), "a resource is defined twice"


@pytest.mark.parametrize("doc", [d for _, d in DOCS if (d["apiVersion"], d["kind"]) in CORE],
                         ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_core_resources_are_valid_kubernetes(doc: dict[str, Any]):
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_rejects_what_kubernetes_rejects():
    """kubernetes-validate is strict: a passing manifest means something."""
    bad = yaml.safe_load((K8S / "services.yaml").read_text().split("---")[0].split("\n", 1)[1])
    bad["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)
    bad["spec"]["replicas"] = 2
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


# ------------------------------------------------------------------------ Strimzi


def test_the_kafka_cluster_authenticates_and_authorises_every_client():
    (kafka,) = of_kind("Kafka")
    spec = kafka["spec"]["kafka"]
    assert spec["authorization"]["type"] == "simple"
    assert spec["config"]["auto.create.topics.enable"] is False
    assert spec["config"]["allow.everyone.if.no.acl.found"] is False
    for listener in spec["listeners"]:
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"]["type"] == "scram-sha-512", listener["name"]
    assert {"topicOperator", "userOperator"} <= set(kafka["spec"]["entityOperator"])
    pools = of_kind("KafkaNodePool")
    assert pools and all(p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
                         and p["spec"]["replicas"] >= 3 and p["spec"]["storage"] for p in pools)
    assert {"controller", "broker"} <= {r for p in pools for r in p["spec"]["roles"]}


def test_kafka_topics_are_the_topics_of_the_code():
    (kafka,) = of_kind("Kafka")
    topics = of_kind("KafkaTopic")
    assert {t["spec"]["topicName"] for t in topics} == {
        *system_topics(department_codes()), *(portal_receipts(p) for p in DEV_PORTALS)}
    for topic in topics:
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert topic["spec"]["partitions"] >= 1 and topic["spec"]["replicas"] >= 1


def test_kafka_users_have_scram_and_only_acls_strimzi_knows():
    (kafka,) = of_kind("Kafka")
    for user in of_kind("KafkaUser"):
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        rules = user["spec"]["authorization"]["acls"]
        assert user["spec"]["authorization"]["type"] == "simple" and rules
        for rule in rules:
            assert rule["resource"]["type"] in {"topic", "group"}
            assert rule["resource"]["patternType"] in {"literal", "prefix"}
            assert set(rule["operations"]) <= {"Read", "Write"}


# ------------------------------------------------------------------------ CloudNativePG


def test_each_service_has_its_own_database_behind_a_pooler():
    clusters = {c["metadata"]["name"]: c for c in of_kind("Cluster")}
    poolers = {p["metadata"]["name"]: p for p in of_kind("Pooler")}
    for name in SERVICE_PACKAGES:
        cluster = clusters[f"mot-cua-{name}-db"]
        assert cluster["spec"]["instances"] >= 2, "a standby to fail over to"
        assert cluster["spec"]["bootstrap"]["initdb"]["database"] == f"mot_cua_{name}"
        assert cluster["spec"]["storage"]["size"]
        pooler = poolers[f"mot-cua-{name}-db-pooler"]
        assert pooler["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert pooler["spec"]["type"] == "rw"
        assert pooler["spec"]["pgbouncer"]["poolMode"] in {"session", "transaction"}


# ------------------------------------------------------------------------ the services


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


@pytest.mark.parametrize("name", SERVICE_PACKAGES)
def test_each_service_is_deployed_with_its_kafka_user_and_its_pooler(name: str):
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    users = {u["metadata"]["name"] for u in of_kind("KafkaUser")}
    poolers = {p["metadata"]["name"]: p for p in of_kind("Pooler")}
    pod = deployments[name]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = _env(container)
    assert container["command"] == ["python", "-m", f"services.{name}"]
    assert env["KAFKA_SASL_USERNAME"] == name and name in users
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["KAFKA_CREATE_TOPICS"] == "false"
    volumes = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    # The User Operator's Secret of the user's name, key "password"; the cluster CA's Secret.
    assert volumes["kafka-password"] == name
    assert env["KAFKA_SASL_PASSWORD_FILE"] == f"{mounts['kafka-password']}/password"
    assert volumes["kafka-ca"] == "mot-cua-cluster-ca-cert"
    assert env["KAFKA_SSL_CAFILE"] == f"{mounts['kafka-ca']}/ca.crt"
    host = re.search(r"@([^:/]+):5432/", env["DATABASE_URL"])
    assert host and host[1] in poolers, env["DATABASE_URL"]
    assert env["DB_PASSWORD"]["secretKeyRef"]["name"] == (
        poolers[host[1]]["spec"]["cluster"]["name"] + "-app")
    # Transaction pooling: the session-scoped connections go to the cluster's rw Service.
    assert poolers[host[1]]["spec"]["pgbouncer"]["poolMode"] == "transaction"
    assert env["DATABASE_POOLER"] == "transaction"
    direct = re.search(r"@([^:/]+):5432/", env["DATABASE_DIRECT_URL"])
    assert direct and direct[1] == poolers[host[1]]["spec"]["cluster"]["name"] + "-rw"
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    (kafka,) = of_kind("Kafka")
    assert bootstrap == f"{kafka['metadata']['name']}-kafka-bootstrap:" + str(
        kafka["spec"]["kafka"]["listeners"][0]["port"])
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "container_name" not in container and deployments[name]["spec"]["replicas"] >= 2
    # More replicas than partitions would idle: the topics leave room for them.
    partitions = min(t["spec"]["partitions"] for t in of_kind("KafkaTopic"))
    assert deployments[name]["spec"]["replicas"] <= partitions
