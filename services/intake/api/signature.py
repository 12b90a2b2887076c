"""Who a portal request claims to come from, checked from its headers alone, and the
running HMACs that check its body as it streams in.

The checks are those of ``shared.portal.auth.verify``, split in two because ``verify`` takes a
whole body: the headers before any of the body is read, the HMAC as it arrives
(tests/unit/test_intake_signature.py holds the two to ``verify``'s answers).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status

from shared.portal.auth import PORTAL_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, PortalKeys

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")


def refused(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason, headers={
        "WWW-Authenticate": "HMAC-SHA256 (X-Portal-Id, X-Timestamp, X-Signature)"})


@dataclass(frozen=True)
class Claim:
    """What the headers say, checked: a known portal, a fresh timestamp, a signature's shape."""

    portal: str
    timestamp: str
    signature: str

    def hmacs(self, keys: PortalKeys) -> list[Any]:
        """One running HMAC per active secret, fed the body as it arrives."""
        return [hmac.new(s.encode(), self.timestamp.encode() + b"\n", hashlib.sha256)
                for s in keys[self.portal]]

    def matches(self, running: list[Any]) -> bool:
        # Every secret is compared, in constant time, so timing tells nothing.
        return any([hmac.compare_digest(h.hexdigest(), self.signature.lower())
                    for h in running])


def claim(keys: PortalKeys, headers: Mapping[str, str], *, max_skew_s: int,
          now: float | None = None) -> Claim:
    lowered = {k.lower(): v for k, v in headers.items()}
    names = (PORTAL_ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
    if missing := [n for n in names if not lowered.get(n.lower())]:
        raise refused(f"missing header(s): {', '.join(missing)}")
    portal, timestamp, signature = (lowered[n.lower()] for n in names)
    if not keys.get(portal):
        raise refused(f"{PORTAL_ID_HEADER}: unknown portal {portal[:64]!r}")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise refused(f"{TIMESTAMP_HEADER}: expected unix seconds (ASCII digits), "
                       f"got {timestamp[:20]!r}")
    if not _SIGNATURE.fullmatch(signature):
        raise refused(f"{SIGNATURE_HEADER}: expected 64 hexadecimal digits")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > max_skew_s:
        raise refused(f"{TIMESTAMP_HEADER}: stale, {int(abs(age))} s away from the server's "
                       f"clock (at most {max_skew_s} s allowed)")
    return Claim(portal, timestamp, signature)
