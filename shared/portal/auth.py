"""Portal request signing, version 2: an HMAC-SHA256 bound to the whole request.

A portal sends four headers, over HTTP or as Kafka record headers: ``X-Portal-Id``,
``X-Timestamp`` (unix seconds), ``X-Nonce`` (16 to 64 of ``A-Z a-z 0-9 - _``, new for every
request) and ``X-Signature`` = hex HMAC-SHA256(secret, string to sign), where the string to
sign is seven lines joined by ``\\n`` (no trailing newline)::

    MOTCUA-HMAC-SHA256-2
    <METHOD>                    POST              (Kafka: the topic, portal.submissions)
    <canonical path>            /v1/dossiers      (Kafka: the record key, percent-encoded)
    <canonical query>           a=1&b=x%20y       (Kafka: empty)
    <timestamp>                 1767225600
    <nonce>                     2f1c9d0e5b7a4c3e
    <hex SHA-256 of the body>   e3b0c442…         (of the empty body for a GET)

The canonical path is the decoded path percent-encoded again (RFC 3986: everything but
``A-Z a-z 0-9 - . _ ~ /``); the canonical query is the query's name=value pairs decoded as the
server reads them (``+`` is a space), each name and value percent-encoded the same way (``/``
too), sorted, joined by ``&``. So a signature is good for one method on one path with one
query and one body, once: intake remembers every nonce for as long as its timestamp could
pass, and refuses a replay. Version 1 (timestamp and body only) is refused, naming version 2.

Each portal has one or two active secrets, so a secret can be rotated without downtime: the
portal switches to the new secret while both verify, then the old one is removed. Shared by
intake (which verifies) and the portal client (which signs).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as _random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

SCHEME = "MOTCUA-HMAC-SHA256-2"
PORTAL_ID_HEADER = "X-Portal-Id"
TIMESTAMP_HEADER = "X-Timestamp"
NONCE_HEADER = "X-Nonce"
SIGNATURE_HEADER = "X-Signature"
HEADERS = (PORTAL_ID_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER)
MAX_CLOCK_SKEW_S = 300
MIN_SECRET_LENGTH = 16
PORTAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # it names the topic portal.<id>.receipts
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

PortalKeys = Mapping[str, tuple[str, ...]]
"""Portal id → its active secrets (one, or two while rotating)."""

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: "²".isdigit() is true
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_V1_REFUSED = (f"{NONCE_HEADER}: missing. Signature version 1 (timestamp and body only) is "
               f"no longer accepted: sign version 2 ({SCHEME}: method, path, query, "
               "timestamp, nonce and the body's SHA-256; README, 'As a portal')")


class SignatureRefused(Exception):
    """The request is not from the portal it claims; the message says which check failed."""


def canonical_path(path: str) -> str:
    """The decoded path (as the server routes it), percent-encoded per RFC 3986."""
    return quote(path, safe="/-._~")


def canonical_query(query: str | bytes) -> str:
    """The raw query string's pairs, decoded as the server reads them, re-encoded, sorted."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    pairs = parse_qsl(text, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='-._~')}={quote(v, safe='-._~')}" for k, v in sorted(pairs))


def string_to_sign(method: str, target: str, query: str, timestamp: str, nonce: str,
                   body_sha256: str) -> str:
    """The seven lines; ``target`` and ``query`` already canonical (see the module's doc)."""
    return "\n".join((SCHEME, method, target, query, timestamp, nonce, body_sha256))


def http_string_to_sign(method: str, path: str, query: str | bytes, timestamp: str,
                        nonce: str, body_sha256: str) -> str:
    return string_to_sign(method.upper(), canonical_path(path), canonical_query(query),
                          timestamp, nonce, body_sha256)


def kafka_string_to_sign(topic: str, key: str, timestamp: str, nonce: str,
                         body_sha256: str) -> str:
    """A record's: the topic in place of the method, the key in place of the path."""
    return string_to_sign(topic, quote(key, safe="-._~"), "", timestamp, nonce, body_sha256)


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return _random.token_urlsafe(18)  # 24 characters, 144 random bits


def _headers(portal_id: str, secret: str, now: float | None, nonce: str | None,
             build: Any) -> dict[str, str]:
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or new_nonce()
    return {PORTAL_ID_HEADER: portal_id, TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce,
            SIGNATURE_HEADER: sign(secret, build(timestamp, nonce))}


def signed_headers(portal_id: str, secret: str, body: bytes, *, method: str, path: str,
                   query: str | bytes = "", now: float | None = None,
                   nonce: str | None = None) -> dict[str, str]:
    """The four headers that authenticate this HTTP request as coming from ``portal_id``."""
    digest = hashlib.sha256(body).hexdigest()
    return _headers(portal_id, secret, now, nonce, lambda ts, n: http_string_to_sign(
        method, path, query, ts, n, digest))


def signed_record_headers(portal_id: str, secret: str, value: bytes, *, topic: str, key: str,
                          now: float | None = None, nonce: str | None = None
                          ) -> dict[str, str]:
    """The four headers that authenticate this Kafka record as coming from ``portal_id``."""
    digest = hashlib.sha256(value).hexdigest()
    return _headers(portal_id, secret, now, nonce, lambda ts, n: kafka_string_to_sign(
        topic, key, ts, n, digest))


@dataclass(frozen=True)
class Claim:
    """What the headers say, checked before any body is read: a known portal, a fresh
    timestamp, a nonce and a signature of the right shape. ``expires_at`` (unix seconds):
    until when the signature could pass, so how long its nonce must be remembered."""

    portal: str
    timestamp: str
    nonce: str
    signature: str
    expires_at: int

    def matches(self, keys: PortalKeys, text: str) -> bool:
        # Every secret is compared, in constant time, so timing tells nothing about which.
        return any([hmac.compare_digest(sign(s, text), self.signature.lower())
                    for s in keys[self.portal]])

    def check(self, keys: PortalKeys, text: str) -> None:
        if not self.matches(keys, text):
            raise SignatureRefused(
                f"{SIGNATURE_HEADER}: does not match this request (method, path, query, "
                f"timestamp, nonce and body) for any active secret of {self.portal!r}")


def claim(keys: PortalKeys, headers: Mapping[str, str], *, now: float | None = None,
          max_skew_s: int = MAX_CLOCK_SKEW_S, max_age_s: int | None = None) -> Claim:
    """The headers' claim, or :class:`SignatureRefused` saying why not.

    The timestamp may be at most ``max_skew_s`` ahead of ``now`` (the server's clock by
    default) and at most ``max_age_s`` behind it (``max_skew_s`` unless given: a Kafka record
    may have waited out an outage). ``headers`` is looked up case-insensitively (HTTP and
    Kafka spell them differently). Any malformed header is refused, and none is echoed at
    length in the reason.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get(SIGNATURE_HEADER.lower()) and not lowered.get(NONCE_HEADER.lower()):
        raise SignatureRefused(_V1_REFUSED)
    if missing := [n for n in HEADERS if not lowered.get(n.lower())]:
        raise SignatureRefused(f"missing header(s): {', '.join(missing)}")
    portal, timestamp, nonce, signature = (lowered[n.lower()] for n in HEADERS)
    if not keys.get(portal):
        raise SignatureRefused(f"{PORTAL_ID_HEADER}: unknown portal {portal[:64]!r}")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureRefused(
            f"{TIMESTAMP_HEADER}: expected unix seconds (ASCII digits), got {timestamp[:20]!r}")
    if not _NONCE.fullmatch(nonce):
        raise SignatureRefused(
            f"{NONCE_HEADER}: expected 16 to 64 of A-Z, a-z, 0-9, '-' and '_', new for "
            "every request")
    if not _SIGNATURE.fullmatch(signature):
        raise SignatureRefused(f"{SIGNATURE_HEADER}: expected 64 hexadecimal digits")
    age = (time.time() if now is None else now) - int(timestamp)
    oldest = max_skew_s if max_age_s is None else max_age_s
    if age > oldest or -age > max_skew_s:
        raise SignatureRefused(
            f"{TIMESTAMP_HEADER}: stale, {int(abs(age))} s away from the server's clock "
            f"(at most {max_skew_s} s ahead and {oldest} s behind allowed)")
    return Claim(portal, timestamp, nonce, signature, int(timestamp) + oldest + 1)


def verify(keys: PortalKeys, headers: Mapping[str, str], body: bytes, *, method: str,
           path: str, query: str | bytes = "", now: float | None = None,
           max_skew_s: int = MAX_CLOCK_SKEW_S) -> Claim:
    """The claim of a whole HTTP request whose signature is good (the nonce is the caller's
    to remember), or :class:`SignatureRefused`."""
    claimed = claim(keys, headers, now=now, max_skew_s=max_skew_s)
    claimed.check(keys, http_string_to_sign(method, path, query, claimed.timestamp,
                                            claimed.nonce, hashlib.sha256(body).hexdigest()))
    return claimed


def verify_record(keys: PortalKeys, headers: Mapping[str, str], value: bytes, *, topic: str,
                  key: str, now: float | None = None, max_skew_s: int = MAX_CLOCK_SKEW_S,
                  max_age_s: int | None = None) -> Claim:
    """The claim of a Kafka record whose signature is good, or :class:`SignatureRefused`."""
    claimed = claim(keys, headers, now=now, max_skew_s=max_skew_s, max_age_s=max_age_s)
    claimed.check(keys, kafka_string_to_sign(topic, key, claimed.timestamp, claimed.nonce,
                                             hashlib.sha256(value).hexdigest()))
    return claimed


def parse_portal_secrets(text: str) -> dict[str, tuple[str, ...]]:
    """``portal-a:secret1,secret2;portal-b:secret3`` → ``{"portal-a": ("secret1", "secret2"), …}``.

    Entries are separated by ``;`` or newlines; a portal has one or two secrets (two while
    rotating). Errors name the entry, never the secret.
    """
    keys: dict[str, tuple[str, ...]] = {}
    for number, entry in enumerate(re.split(r"[;\n]", text), start=1):
        entry = entry.strip()
        if not entry:
            continue
        portal_id, sep, secret_list = entry.partition(":")
        portal_id = portal_id.strip()
        secrets = tuple(s.strip() for s in secret_list.split(",") if s.strip())
        if not sep or not PORTAL_ID.match(portal_id):
            raise ValueError(
                f"portal secrets entry {number}: expected <portal id>:<secret>[,<secret>] "
                "with an id of letters, digits, '-' or '_'"
            )
        if not 1 <= len(secrets) <= 2:
            raise ValueError(f"portal {portal_id!r}: give one secret, or two while rotating")
        if any(len(s) < MIN_SECRET_LENGTH for s in secrets):
            raise ValueError(
                f"portal {portal_id!r}: a secret needs at least {MIN_SECRET_LENGTH} characters "
                "(e.g. openssl rand -hex 32)"
            )
        if portal_id in keys:
            raise ValueError(f"portal {portal_id!r} is listed twice")
        keys[portal_id] = secrets
    return keys
