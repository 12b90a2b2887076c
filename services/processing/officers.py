"""Officer accounts: who may sign in, in which department and role.

Accounts come from configuration (a YAML file of Argon2 password hashes, never clear text);
the development stack seeds ``<dept>.intake``, ``<dept>.specialist`` and ``<dept>.approver``
for every department of the catalog. ``python -m services.processing.officers`` prints the
hash of a password typed at the prompt, for an operator writing the file. Their tokens are
in :mod:`services.processing.tokens`.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


if __name__ == "__main__":
    print(hash_password(getpass.getpass("Password to hash: ")))
