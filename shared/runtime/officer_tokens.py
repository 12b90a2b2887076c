"""Officers' short-lived signed tokens, bound to the credential they were issued under: one
place for every service that serves officers (processing issues them at sign-in; intake
verifies them for the officers' ``verify`` of its timeline).

A token names the officer, department and role, and carries ``cred``: an HMAC, under the
token key, of the account's password hash when it was issued. A service that holds the
officers' directory (processing) compares it with the hash the directory holds now on every
request (:meth:`TokenService.issued_for`), so a changed password, department or role, or a
removed account, ends every token issued before (the key keeps the claim from being a
verifier of the hash for whoever reads the token's payload). A service without the
directory (intake) checks the signature, the issuer and the expiry only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any, Protocol

import jwt

_ISSUER = "mot-cua-processing"


class InvalidToken(Exception):
    """An officer's token is forged, malformed or expired (HTTP 401)."""


class _Role(Protocol):
    @property
    def value(self) -> str: ...


class Account(Protocol):
    """What a token is issued for and checked against (processing's officer accounts)."""

    @property
    def username(self) -> str: ...
    @property
    def department_code(self) -> str: ...
    @property
    def role(self) -> _Role: ...
    @property
    def password_hash(self) -> str: ...


def _expired() -> InvalidToken:
    return InvalidToken("the token has expired; ask for a new one")


class TokenService:
    """HS256 tokens valid ``ttl_s`` seconds.

    An officer sends the same token with every action until it expires, so the claims of a
    token that verified are kept (at most ``MAX_VERIFIED`` of them, the oldest forgotten
    first) and a token seen again is only checked for expiry: the same string cannot carry
    other claims or another signature. Whether the account still matches is checked on every
    request (:meth:`issued_for`), never cached."""

    MAX_VERIFIED = 4096

    def __init__(self, secret: str, ttl_s: int) -> None:
        if len(secret) < 32:  # RFC 7518 §3.2: an HS256 key of at least 256 bits
            raise ValueError("the token secret needs at least 32 characters")
        self._secret = secret
        self.ttl_s = ttl_s
        self._verified: dict[str, dict[str, Any]] = {}

    def derived_key(self, purpose: bytes) -> str:
        """A key of its own for ``purpose`` (the console's session cookie), derived from the
        token secret: replicas share it, and it never is the token key itself."""
        return hmac.new(self._secret.encode(), purpose, hashlib.sha256).hexdigest()

    def issue(self, account: Account) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"sub": account.username, "dept": account.department_code,
                                  "role": account.role.value, "cred": self._bind(account),
                                  "iat": now, "exp": now + self.ttl_s, "iss": _ISSUER}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims; raises InvalidToken when it is forged, malformed or expired."""
        claims = self._verified.get(token)
        if claims is not None:
            if claims["exp"] > time.time():  # as PyJWT checks it, without leeway
                return claims
            del self._verified[token]
            raise _expired()
        claims = self._decode(token)
        if len(self._verified) >= self.MAX_VERIFIED:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = claims
        return claims

    def issued_for(self, claims: dict[str, Any], account: Account) -> bool:
        """Whether verified claims were issued to this account as it is now: the same
        department, role and password."""
        return ((claims.get("sub"), claims.get("dept"), claims.get("role")) == (
            account.username, account.department_code, account.role.value)
            and hmac.compare_digest(str(claims.get("cred", "")), self._bind(account)))

    def _bind(self, account: Account) -> str:
        digest = hmac.new(self._secret.encode(), account.password_hash.encode(),
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=_ISSUER,
                options={"require": ["sub", "exp", "iat", "iss", "cred"]})
        except jwt.ExpiredSignatureError:
            raise _expired() from None
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"invalid token: {error}") from None
        return claims
