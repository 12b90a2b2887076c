"""Officer accounts: who may sign in, in which department and role.

Accounts come from configuration (a YAML file of Argon2 password hashes, never clear text);
the development stack seeds ``<dept>.intake``, ``<dept>.specialist`` and ``<dept>.approver``
for every department of the catalog. ``python -m services.processing.officers`` prints the
hash of a password typed at the prompt, for an operator writing the file; a new hash is made
only of a password of at least ``MIN_PASSWORD_LENGTH`` characters that is not a common one
(:func:`hash_password`). Their tokens are in :mod:`services.processing.tokens`.

Sign-in attempts are limited per account and per client address (:class:`SignInLimits`),
counted in PostgreSQL (``sign_in_attempt``) so that every replica shares one count. An attempt
is counted before its password is checked (one upsert, atomic across replicas, so a burst of
parallel guesses cannot slip past the count); a successful sign-in forgets its account's
count and gives its attempt back to the address. Past a limit, :class:`SignInThrottled` says
how long to wait (``retry_after``), for the API's 429 with ``Retry-After`` and the console's
page alike. Usernames and addresses are kept as hashes, never in clear.
"""

from __future__ import annotations

import getpass
import hashlib
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from services.processing.domain.rules import Role

DEV_PASSWORD = "dev-password"  # noqa: S105 - the documented password of development accounts
# OWASP's Argon2id profile (19 MiB, 2 passes, 1 lane) rather than the library's 64 MiB
# default: each sign-in holds that memory while it verifies, and processing must stay small.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Officer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    department_code: str
    role: Role


class OfficerAccount(Officer):
    password_hash: str = Field(repr=False)
    _officer: Officer = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        # Every request names its officer: built once, immutable, without the hash.
        self._officer = Officer(username=self.username, department_code=self.department_code,
                                role=self.role)

    @property
    def officer(self) -> Officer:
        return self._officer

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
    """The accounts in force. Accounts read from a file are read again by :meth:`reload`
    (bootstrap's watcher calls it): the new accounts replace the old ones at once, and a
    file that does not validate changes nothing."""

    def __init__(self, accounts: Iterable[OfficerAccount], source: Path | None = None) -> None:
        self._accounts = {a.username: a for a in accounts}
        self.source, self._text = source, ""
        # Unknown usernames are checked against this too, so timing does not reveal them.
        self._decoy = _hasher.hash("decoy")

    @classmethod
    def from_file(cls, path: Path) -> OfficerDirectory:
        directory = cls([], source=path)
        directory.reload()
        return directory

    @classmethod
    def development(cls, department_codes: Iterable[str]) -> OfficerDirectory:
        shared_hash = _hasher.hash(DEV_PASSWORD)  # one slow hash for all of them
        return cls(OfficerAccount(username=f"{dept}.{role.value}", department_code=dept,
                                  role=role, password_hash=shared_hash)
                   for dept in sorted(set(department_codes)) for role in Role)

    def reload(self) -> bool:
        """Reads the source file again; whether it changed. Raises ValueError, naming where
        the file is wrong but none of its values, when it cannot be read or is invalid."""
        if self.source is None:
            raise ValueError("these accounts were not read from a file")
        try:
            text = self.source.read_text("utf-8")
            if text == self._text:
                return False
            data = _OfficersFile.model_validate(yaml.safe_load(text))
        except ValidationError as invalid:
            where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                              for e in invalid.errors())
            raise ValueError(f"{self.source}: invalid officers file: {where}") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            mark = getattr(error, "problem_mark", None)
            raise ValueError(f"{self.source}: unreadable officers file: {type(error).__name__}"
                             + (f" at line {mark.line + 1}" if mark else "")) from None
        self._accounts, self._text = {a.username: a for a in data.officers}, text
        return True

    def __len__(self) -> int:
        return len(self._accounts)

    def account(self, username: str) -> OfficerAccount | None:
        return self._accounts.get(username)

    def authenticate(self, username: str, password: str) -> OfficerAccount | None:
        account = self._accounts.get(username)
        try:
            _hasher.verify(account.password_hash if account else self._decoy, password)
        except (VerificationError, InvalidHashError):
            return None
        return account


MIN_PASSWORD_LENGTH = 12
# The most common passwords long enough to pass the length rule (breach lists' leaders, and
# the Vietnamese and local words an officer would reach for); shorter ones fail on length.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456789000", "123123123123",
    "111111111111", "000000000000", "121212121212", "123321123321", "987654321098",
    "qwertyuiopas", "qwerty123456", "qwertyuiop12", "qwertyuiop123", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "q1w2e3r4t5y6", "asdfghjkl123", "zxcvbnm12345", "abcdefghijkl",
    "abc123456789", "abcd12345678", "password1234", "password12345", "password123456",
    "passwordpassword", "password@123", "p@ssw0rd1234", "iloveyou1234", "iloveyou123456",
    "welcome12345", "welcome@1234", "administrator", "admin1234567", "admin@123456",
    "letmein12345", "changeme1234", "matkhau12345", "matkhau123456", "matkhau@1234",
    "matkhaumoi123", "anhyeuem1234", "anhyeuem123456", "motcua123456", "motcua@12345",
    "motcuamotcua", "mot-cua-password", "vietnam12345", "vietnam123456", "hochiminh123",
    "saigon123456", "hanoi1234567", "dev-password",
})


class WeakPassword(ValueError):
    """A password too short or too common to be hashed for an account."""


def check_password_policy(password: str) -> None:
    """Raises :class:`WeakPassword` saying why, never echoing the password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or len(set(folded)) <= 2:
        raise WeakPassword("this password is one of the most common ones: choose another "
                           "(a passphrase of four or more words is long and memorable)")


def hash_password(password: str) -> str:
    """The Argon2 hash of a password that meets the policy (else :class:`WeakPassword`)."""
    check_password_policy(password)
    return _hasher.hash(password)


# --- Sign-in attempts --------------------------------------------------------------------


@dataclass(frozen=True)
class SignInLimits:
    """Attempts allowed per account and per client address within ``window_s`` seconds."""

    per_account: int = 5
    per_client: int = 30
    window_s: int = 900


class SignInThrottled(Exception):
    """Too many sign-in attempts for this account or from this address. ``retry_after``:
    whole seconds until the next attempt is counted again; ``scope``: ``"account"`` or
    ``"client"``. Its message is for the officer (Vietnamese)."""

    def __init__(self, retry_after: int, scope: str) -> None:
        self.retry_after, self.scope = retry_after, scope
        super().__init__(
            "Đăng nhập sai quá nhiều lần "
            + ("với tài khoản này" if scope == "account" else "từ địa chỉ này")
            + f". Vui lòng thử lại sau {retry_after} giây.")


def _key(scope: str, value: str) -> str:
    return f"{scope}:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()[:32]}"


async def admit_sign_in(pool: asyncpg.Pool, limits: SignInLimits, now: datetime,
                        username: str, client: str) -> None:
    """Counts an attempt for ``username`` from ``client``; raises :class:`SignInThrottled`
    when either is past its limit (the attempt is then not checked at all)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM sign_in_attempt WHERE expires_at <= $1", now)
        counted = {scope: await conn.fetchrow(
            """INSERT INTO sign_in_attempt AS a (key, attempts, expires_at)
               VALUES ($1, 1, $2)
               ON CONFLICT (key) DO UPDATE SET attempts = a.attempts + 1
               RETURNING attempts, expires_at""",
            _key(scope, value), now + timedelta(seconds=limits.window_s))
            for scope, value in (("account", username), ("client", client))}
    for scope, limit in (("account", limits.per_account), ("client", limits.per_client)):
        row = counted[scope]
        if row["attempts"] > limit:
            wait = math.ceil((row["expires_at"] - now).total_seconds())
            raise SignInThrottled(max(1, wait), scope)


async def signed_in(pool: asyncpg.Pool, username: str, client: str) -> None:
    """A good password: the account's count is forgotten, the address gets its attempt back."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM sign_in_attempt WHERE key = $1",
                           _key("account", username))
        await conn.execute("UPDATE sign_in_attempt SET attempts = attempts - 1 "
                           "WHERE key = $1 AND attempts > 0", _key("client", client))


def main() -> int:
    password = getpass.getpass("Password to hash: ")
    try:
        print(hash_password(password))
    except WeakPassword as weak:
        print(f"refused: {weak}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
