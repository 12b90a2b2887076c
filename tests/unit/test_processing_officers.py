"""The officers file read again while processing runs: a valid change is in force at once,
an invalid one changes nothing and is reported without the file's values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.processing.officers import OfficerDirectory

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"  # a hash's shape only


def write(path: Path, *accounts: tuple[str, str]) -> None:
    path.write_text(yaml.safe_dump({"officers": [
        {"username": name, "department_code": "tp", "role": "approver", "password_hash": hash_}
        for name, hash_ in accounts]}), "utf-8")


def test_a_reload_puts_the_changed_file_in_force(tmp_path: Path) -> None:
    path = tmp_path / "officers.yaml"
    write(path, ("tp.approver", HASH))
    directory = OfficerDirectory.from_file(path)
    assert directory.reload() is False  # unchanged
    write(path, ("tp.approver", HASH + "x"), ("tp.other", HASH))
    assert directory.reload() is True
    assert len(directory) == 2
    account = directory.account("tp.approver")
    assert account is not None and account.password_hash == HASH + "x"
    assert account.officer.username == "tp.approver" and HASH not in repr(account)


def test_an_invalid_file_changes_nothing_and_its_values_stay_out_of_the_error(
        tmp_path: Path) -> None:
    path = tmp_path / "officers.yaml"
    write(path, ("tp.approver", HASH))
    directory = OfficerDirectory.from_file(path)
    write(path, ("nguyen.van.an", "a-clear-text-password"))
    with pytest.raises(ValueError, match=r"officers\.0\.password_hash") as invalid:
        directory.reload()
    assert "a-clear-text-password" not in str(invalid.value)
    assert "nguyen.van.an" not in str(invalid.value)
    path.write_text("officers: [\n", "utf-8")
    with pytest.raises(ValueError, match="line"):
        directory.reload()
    assert len(directory) == 1 and directory.account("tp.approver") is not None
    assert OfficerDirectory([]).source is None
    with pytest.raises(ValueError, match="not read from a file"):
        OfficerDirectory([]).reload()


@pytest.mark.parametrize(("password", "why"), [
    ("short-pass1", "at least 12 characters"),
    ("password1234", "most common"),
    ("MatKhau123456", "most common"),  # whatever its case
    ("aaaaaaaaaaaaaaaa", "most common"),  # one or two characters repeated
    ("abababababababab", "most common"),
])
def test_a_new_hash_needs_a_long_uncommon_password(password: str, why: str) -> None:
    from services.processing.officers import WeakPassword, hash_password

    with pytest.raises(WeakPassword, match=why) as weak:
        hash_password(password)
    assert password not in str(weak.value)


def test_a_long_uncommon_password_is_hashed() -> None:
    from services.processing.officers import hash_password

    assert hash_password("ruộng lúa bên sông Hậu").startswith("$argon2id$")
