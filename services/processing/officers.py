"""Officer accounts and their short-lived signed tokens.

Accounts come from configuration (a YAML file of Argon2 password hashes, never clear text);
the development stack seeds ``<dept>.intake``, ``<dept>.specialist`` and ``<dept>.approver``
for every department of the catalog. ``python -m services.processing.officers`` prints the
hash of a password typed at the prompt, for an operator writing the file.
"""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.processing.domain.errors import InvalidToken
from services.processing.domain.rules import Role

DEV_PASSWORD = "dev-password"  # noqa: S105 - the documented password of development accounts
_ISSUER = "mot-cua-processing"
# OWASP's Argon2id profile (19 MiB, 2 passes, 1 lane) rather than the library's 64 MiB
# default: each sign-in holds that memory while it verifies, and processing must stay small.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Officer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    department_code: str
    role: Role


class OfficerAccount(Officer):
    password_hash: str

    @field_validator("password_hash")
    @classmethod
    def _a_hash_not_a_password(cls, value: str) -> str:
        if not value.startswith("$argon2"):
            raise ValueError("must be an Argon2 hash (python -m services.processing.officers)")
        return value


class _OfficersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officers: list[OfficerAccount]


class OfficerDirectory:
    def __init__(self, accounts: Iterable[OfficerAccount]) -> None:
        self._accounts = {a.username: a for a in accounts}
        # Every request names its officer: built once, immutable.
        self._officers = {name: Officer(**a.model_dump(exclude={"password_hash"}))
                          for name, a in self._accounts.items()}
        # Unknown usernames are checked against this too, so timing does not reveal them.
        self._decoy = _hasher.hash("decoy")

    @classmethod
    def from_file(cls, path: Path) -> OfficerDirectory:
        try:
            data = _OfficersFile.model_validate(yaml.safe_load(path.read_text("utf-8")))
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise ValueError(f"{path}: invalid officers file: {error}") from None
        return cls(data.officers)

    @classmethod
    def development(cls, department_codes: Iterable[str]) -> OfficerDirectory:
        shared_hash = _hasher.hash(DEV_PASSWORD)  # one slow hash for all of them
        return cls(OfficerAccount(username=f"{dept}.{role.value}", department_code=dept,
                                  role=role, password_hash=shared_hash)
                   for dept in sorted(set(department_codes)) for role in Role)

    def __len__(self) -> int:
        return len(self._accounts)

    def get(self, username: str) -> Officer | None:
        return self._officers.get(username)

    def authenticate(self, username: str, password: str) -> Officer | None:
        account = self._accounts.get(username)
        try:
            _hasher.verify(account.password_hash if account else self._decoy, password)
        except (VerificationError, InvalidHashError):
            return None
        return self.get(username) if account else None


def _expired() -> InvalidToken:
    return InvalidToken("the token has expired; ask for a new one")


class TokenService:
    """HS256 tokens naming the officer, department and role, valid ``ttl_s`` seconds.

    An officer sends the same token with every action until it expires, so the claims of a
    token that verified are kept (at most ``MAX_VERIFIED`` of them, the oldest forgotten
    first) and a token seen again is only checked for expiry: the same string cannot carry
    other claims or another signature."""

    MAX_VERIFIED = 4096

    def __init__(self, secret: str, ttl_s: int) -> None:
        if len(secret) < 32:  # RFC 7518 §3.2: an HS256 key of at least 256 bits
            raise ValueError("the token secret needs at least 32 characters")
        self._secret = secret
        self.ttl_s = ttl_s
        self._verified: dict[str, dict[str, Any]] = {}

    def issue(self, officer: Officer) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {"sub": officer.username, "dept": officer.department_code,
                                  "role": officer.role.value, "iat": now,
                                  "exp": now + self.ttl_s, "iss": _ISSUER}
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

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._secret, algorithms=["HS256"], issuer=_ISSUER,
                options={"require": ["sub", "exp", "iat", "iss"]})
        except jwt.ExpiredSignatureError:
            raise _expired() from None
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"invalid token: {error}") from None
        return claims


def hash_password(password: str) -> str:
    return _hasher.hash(password)


if __name__ == "__main__":
    print(hash_password(getpass.getpass("Password to hash: ")))
