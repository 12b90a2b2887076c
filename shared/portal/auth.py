"""Portal request signing: HMAC-SHA256 over the timestamp and the raw body.

A portal sends ``X-Portal-Id``, ``X-Timestamp`` (unix seconds) and ``X-Signature`` = hex
HMAC-SHA256(secret, timestamp + "\\n" + body), as HTTP headers or as Kafka record headers.
Each portal has one or two active secrets, so a secret can be rotated without downtime:
the portal switches to the new secret while both verify, then the old one is removed.
Shared by intake (which verifies) and the portal client (which signs).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping

PORTAL_ID_HEADER = "X-Portal-Id"
TIMESTAMP_HEADER = "X-Timestamp"
SIGNATURE_HEADER = "X-Signature"
MAX_CLOCK_SKEW_S = 300
MIN_SECRET_LENGTH = 16
PORTAL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # it names the topic portal.<id>.receipts

PortalKeys = Mapping[str, tuple[str, ...]]
"""Portal id → its active secrets (one, or two while rotating)."""


class SignatureRefused(Exception):
    """The request is not from the portal it claims; the message says which check failed."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode() + b"\n" + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    portal_id: str, secret: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """The three headers that authenticate ``body`` as coming from ``portal_id``."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        PORTAL_ID_HEADER: portal_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: "²".isdigit() is true
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


def verify(
    keys: PortalKeys,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    max_skew_s: int = MAX_CLOCK_SKEW_S,
    max_age_s: int | None = None,
) -> str:
    """The portal id that signed ``body``, or :class:`SignatureRefused` saying why not.

    The signature's timestamp may be at most ``max_skew_s`` ahead of ``now`` (the server's
    clock by default) and at most ``max_age_s`` behind it (``max_skew_s`` unless given: a
    Kafka record may have waited out an outage). ``headers`` is looked up case-insensitively
    (HTTP and Kafka spell them differently). Any malformed header is a refused signature, and
    no header is echoed at length in the reason.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    missing = [
        name for name in (PORTAL_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
        if not lowered.get(name.lower())
    ]
    if missing:
        raise SignatureRefused(f"missing header(s): {', '.join(missing)}")
    portal_id = lowered[PORTAL_ID_HEADER.lower()]
    timestamp = lowered[TIMESTAMP_HEADER.lower()]
    signature = lowered[SIGNATURE_HEADER.lower()]
    secrets = keys.get(portal_id)
    if not secrets:
        raise SignatureRefused(f"{PORTAL_ID_HEADER}: unknown portal {portal_id[:64]!r}")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise SignatureRefused(
            f"{TIMESTAMP_HEADER}: expected unix seconds (ASCII digits), got {timestamp[:20]!r}")
    if not _SIGNATURE.fullmatch(signature):
        raise SignatureRefused(f"{SIGNATURE_HEADER}: expected 64 hexadecimal digits")
    age = (time.time() if now is None else now) - int(timestamp)
    oldest = max_skew_s if max_age_s is None else max_age_s
    if age > oldest or -age > max_skew_s:
        raise SignatureRefused(
            f"{TIMESTAMP_HEADER}: stale, {int(abs(age))} s away from the server's clock "
            f"(at most {max_skew_s} s ahead and {oldest} s behind allowed)"
        )
    # Every secret is compared, in constant time, so timing tells nothing about which matched.
    matches = [hmac.compare_digest(sign(s, timestamp, body), signature.lower()) for s in secrets]
    if not any(matches):
        raise SignatureRefused(
            f"{SIGNATURE_HEADER}: does not match the body for any active secret of {portal_id!r}"
        )
    return portal_id


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
