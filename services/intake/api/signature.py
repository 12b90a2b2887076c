"""Who a portal request claims to come from, checked from its headers alone, and the nonces
that make each signature good once.

The header checks are ``shared.portal.auth.claim``'s, answered here as HTTP 401s; the body's
SHA-256 is computed as the body streams in (``signed.py``), and the string to sign is checked
once it has all arrived (tests/unit/test_intake_signature.py holds the two to the shared
``verify``). A nonce is remembered in PostgreSQL (``portal_nonce``) until its signature could
no longer pass, so every replica refuses a replay; expired nonces are swept at most once a
minute per process, by whichever request comes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import asyncpg
from fastapi import HTTPException, status

from shared.portal.auth import HEADERS, NONCE_HEADER, Claim, PortalKeys, SignatureRefused, claim

SWEEP_EVERY_S = 60.0
_swept_at = 0.0


def refused(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason, headers={
        "WWW-Authenticate": f"MOTCUA-HMAC-SHA256-2 ({', '.join(HEADERS)})"})


def http_claim(keys: PortalKeys, headers: Mapping[str, str], *, max_skew_s: int,
               now: float | None = None) -> Claim:
    try:
        return claim(keys, headers, now=now, max_skew_s=max_skew_s)
    except SignatureRefused as refusal:
        raise refused(str(refusal)) from None


REPLAYED = (f"{NONCE_HEADER}: already used; a signed request is good once (a replay is "
            "refused): sign every request with a new nonce")


async def remember_nonce(pool: asyncpg.Pool, claimed: Claim, *, origin: str = "",
                         now: float | None = None) -> bool:
    """Whether the claim's nonce was new (and is now remembered). ``origin`` names the Kafka
    record that carries it: that same record delivered again is not a replay."""
    global _swept_at
    at = time.time() if now is None else now
    async with pool.acquire() as conn:
        if at - _swept_at >= SWEEP_EVERY_S:
            _swept_at = at
            await conn.execute("DELETE FROM portal_nonce WHERE expires_at < to_timestamp($1)",
                               at)
        fresh = await conn.fetchval(
            """INSERT INTO portal_nonce (portal, nonce, origin, expires_at)
               VALUES ($1, $2, $3, to_timestamp($4))
               ON CONFLICT (portal, nonce) DO UPDATE SET origin = EXCLUDED.origin,
                                                         expires_at = EXCLUDED.expires_at
               WHERE portal_nonce.expires_at < to_timestamp($5)
                  OR (EXCLUDED.origin <> '' AND portal_nonce.origin = EXCLUDED.origin)
               RETURNING true""",
            claimed.portal, claimed.nonce, origin, claimed.expires_at, at)
    return bool(fresh)
