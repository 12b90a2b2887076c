#!/usr/bin/env bash
# Creates every Kafka topic of Một Cửa explicitly: the broker runs with auto-creation off.
# Run by the one-shot `kafka-topics` service of docker-compose.yml in the apache/kafka image;
# it can also be run by hand anywhere the Kafka command-line tools are installed:
#   KAFKA_BOOTSTRAP_SERVERS=host:9092 KAFKA_BIN=/opt/kafka/bin bash deploy/kafka/create-topics.sh
# Idempotent: a topic that exists is left as it is (its partitions are not changed).
set -euo pipefail

BOOTSTRAP="${KAFKA_BOOTSTRAP_SERVERS:-kafka:9092}"
PARTITIONS="${TOPIC_PARTITIONS:-6}"
REPLICATION="${TOPIC_REPLICATION_FACTOR:-1}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"
# The event topics are the system's memory: the reporting service rebuilds its read model from
# their earliest offset (docs/reporting.md), so they keep every event unless told otherwise.
# Set at creation; for a topic that exists, change it with
#   kafka-configs.sh --bootstrap-server … --alter --entity-type topics --entity-name <topic> \
#     --add-config retention.ms=<ms>
EVENT_RETENTION_MS="${EVENT_TOPIC_RETENTION_MS:--1}"
EVENT_TOPICS=" dossier.events payment.events postal.events notification.events "

# Every topic of the system, dead-letter topics included: what
# shared.contracts.topics.system_topics(<the catalog's department codes>) returns.
# tests/unit/test_compose.py fails when this list and the code disagree: a new department in
# the catalog needs its department.<code>.work and department.<code>.work.dlq here.
TOPICS=(
  department.gddt.work
  department.gddt.work.dlq
  department.ktht.work
  department.ktht.work.dlq
  department.tckh.work
  department.tckh.work.dlq
  department.tp.work
  department.tp.work.dlq
  department.vhtt.work
  department.vhtt.work.dlq
  dossier.events
  dossier.events.dlq
  notification.events
  notification.events.dlq
  payment.events
  payment.events.dlq
  portal.submissions
  portal.submissions.dlq
  postal.events
  postal.events.dlq
)

# Each portal that reads its receipts over Kafka has its own topic (shared.contracts.topics.portal_receipts).
# PORTAL_IDS: the portal ids, separated by spaces or commas.
portal_ids="${PORTAL_IDS:-}"
set -f # no globbing of the ids
for portal in ${portal_ids//,/ }; do
  if [[ ! "$portal" =~ ^[A-Za-z0-9_-]+$ ]]; then
    echo "kafka-topics: invalid portal id '$portal' in PORTAL_IDS" >&2
    exit 2
  fi
  TOPICS+=("portal.${portal}.receipts")
done
set +f

# KAFKA_COMMAND_CONFIG: a client configuration (the admin's mTLS login on the locked-down
# broker of docker-compose.yml: deploy/kafka/dev-secrets.sh makes it); none on a PLAINTEXT one.
COMMAND_CONFIG=()
if [[ -n "${KAFKA_COMMAND_CONFIG:-}" ]]; then
  COMMAND_CONFIG=(--command-config "$KAFKA_COMMAND_CONFIG")
fi

topics_cli() {
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" "${COMMAND_CONFIG[@]}" "$@"
}

# One listing first: each kafka-topics.sh call starts a JVM, so topics that already exist
# (every run after the first) cost nothing.
existing="$(topics_cli --list)"
created=0
for topic in "${TOPICS[@]}"; do
  if grep -Fxq -- "$topic" <<<"$existing"; then
    continue
  fi
  retention=()
  if [[ "$EVENT_TOPICS" == *" $topic "* ]]; then
    retention=(--config "retention.ms=$EVENT_RETENTION_MS")
  fi
  topics_cli --create --if-not-exists --topic "$topic" \
    --partitions "$PARTITIONS" --replication-factor "$REPLICATION" "${retention[@]}"
  created=$((created + 1))
done

# Check that every topic is there now, whoever created it.
existing="$(topics_cli --list)"
missing=0
for topic in "${TOPICS[@]}"; do
  if ! grep -Fxq -- "$topic" <<<"$existing"; then
    echo "kafka-topics: topic $topic is missing after creation" >&2
    missing=1
  fi
done
if [[ $missing -ne 0 ]]; then
  exit 1
fi
echo "kafka-topics: ${#TOPICS[@]} topics present (${created} created now)"
