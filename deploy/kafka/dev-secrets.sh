#!/usr/bin/env bash
# DEVELOPMENT ONLY: the Kafka secrets docker-compose.yml mounts, made with openssl into
# var/kafka/ (git-ignored and docker-ignored; never commit what it writes):
#
#   var/kafka/tls/ca.crt, ca.key        a development CA (the key stays on this machine)
#   var/kafka/tls/broker.p12            the broker's key and certificate (CN=kafka; DNS kafka,
#                                       localhost), for TLS on every listener and as its own
#                                       client on the controller and inter-broker listeners
#   var/kafka/tls/admin.p12             the administrator's client certificate (CN=admin), the
#                                       one principal besides the broker that is a super user
#   var/kafka/tls/*.properties          the keystore passwords (FileConfigProvider) and the
#                                       client configurations of the broker and the admin
#   var/kafka/users/<principal>.password  a random SCRAM-SHA-512 password per principal
#                                       (every `scram` line of provision-security.sh, and
#                                       portal-<id> for each id of PORTAL_IDS)
#
#   bash deploy/kafka/dev-secrets.sh            # makes what is missing; keeps what exists
#   PORTAL_IDS="dvc-tinh vneid" bash deploy/kafka/dev-secrets.sh
#
# Production uses the province's CA and a secret store instead (docs/deploy.md); the file
# names are the same, so docker-compose.yml does not change.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${KAFKA_SECRETS_DIR:-$HERE/../../var/kafka}"
DAYS="${CERT_DAYS:-397}"
TLS="$OUT/tls"
USERS="$OUT/users"
umask 027
mkdir -p "$TLS" "$USERS"

random() { openssl rand -hex 24; }  # 48 hex digits: what provision-security.sh accepts

if [[ ! -f "$TLS/ca.crt" ]]; then
  openssl req -x509 -newkey rsa:3072 -nodes -sha256 -days 825 \
    -subj "/CN=Mot Cua development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null
  echo "dev-secrets: made the development CA"
fi

# cert <name> <common name> <subjectAltName or empty>: <name>.p12 and <name>.secrets.properties
cert() {
  local name="$1" cn="$2" san="$3" password ext
  [[ -f "$TLS/$name.p12" ]] && return 0
  password="$(random)"
  ext="$(mktemp)"
  {
    echo "extendedKeyUsage=serverAuth,clientAuth"
    if [[ -n "$san" ]]; then echo "subjectAltName=$san"; fi
  } > "$ext"
  openssl req -newkey rsa:3072 -nodes -sha256 -subj "/CN=$cn" \
    -keyout "$TLS/$name.key" -out "$TLS/$name.csr" 2>/dev/null
  openssl x509 -req -sha256 -days "$DAYS" -in "$TLS/$name.csr" -CA "$TLS/ca.crt" \
    -CAkey "$TLS/ca.key" -CAcreateserial -extfile "$ext" -out "$TLS/$name.crt" 2>/dev/null
  openssl pkcs12 -export -name "$name" -in "$TLS/$name.crt" -inkey "$TLS/$name.key" \
    -certfile "$TLS/ca.crt" -passout "pass:$password" -out "$TLS/$name.p12"
  rm -f "$ext" "$TLS/$name.csr" "$TLS/$name.key"  # the key lives on in the keystore only
  printf 'password=%s\n' "$password" > "$TLS/$name.secrets.properties"
  echo "dev-secrets: made $name.p12 (CN=$cn)"
}

cert broker kafka "DNS:kafka,DNS:localhost"
cert admin admin ""

# client <name> <dir it is mounted at>: a Kafka client configuration for kafka-*.sh tools.
client() {
  local name="$1" dir="$2" password
  password="$(sed -n 's/^password=//p' "$TLS/$name.secrets.properties")"
  cat > "$TLS/$name.properties" <<EOF
security.protocol=SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=$dir/$name.p12
ssl.keystore.password=$password
ssl.key.password=$password
ssl.truststore.type=PEM
ssl.truststore.location=$dir/ca.crt
EOF
}
client broker /etc/kafka/secrets   # the broker's healthcheck, from inside its container
client admin /etc/kafka-admin      # the provisioning steps (kafka-topics, kafka-security)

portal_ids="${PORTAL_IDS:-}"
principals="$(sed -n 's/^scram "\([A-Za-z0-9_-]*\)"$/\1/p' "$HERE/provision-security.sh")"
set -f
for portal in ${portal_ids//,/ }; do
  principals+=$'\n'"portal-$portal"
done
set +f
made=0
for principal in $principals; do
  if [[ ! -f "$USERS/$principal.password" ]]; then
    random > "$USERS/$principal.password"
    made=$((made + 1))
  fi
done
# The containers' users (uid 1000 in apache/kafka, 10001 in our image) read these through
# bind mounts, so they are world-readable: acceptable on a development machine only.
chmod 0755 "$OUT" "$TLS" "$USERS"
chmod 0644 "$TLS"/*.p12 "$TLS"/*.properties "$TLS/ca.crt" "$USERS"/*.password
chmod 0600 "$TLS/ca.key"
echo "dev-secrets: $made password(s) made in $USERS"
