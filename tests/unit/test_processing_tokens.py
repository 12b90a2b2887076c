"""Officers' tokens: a token that verified once is known again by its exact string only, and
only until it expires; and it stands only for the account as it was issued: its department,
role and password."""

from __future__ import annotations

import time
from types import SimpleNamespace

import jwt
import pytest

from services.processing.domain.rules import Role
from services.processing.officers import OfficerAccount
from services.processing.tokens import TokenService
from shared.runtime import officer_tokens as tokens_module
from shared.runtime.officer_tokens import InvalidToken

SECRET = "unit-test-secret-of-at-least-32-bytes"  # noqa: S105 - throw-away test key
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"  # a hash's shape only
APPROVER = OfficerAccount(username="tp.approver", department_code="tp", role=Role.APPROVER,
                          password_hash=HASH)


def test_a_token_seen_before_is_still_refused_once_expired(monkeypatch) -> None:
    tokens = TokenService(SECRET, 900)
    token = tokens.issue(APPROVER)
    claims = tokens.verify(token)
    assert (claims["sub"], claims["dept"], claims["role"]) == ("tp.approver", "tp", "approver")
    assert tokens.verify(token) == claims  # known again
    later = time.time() + 901
    monkeypatch.setattr(tokens_module, "time", SimpleNamespace(time=lambda: later))
    with pytest.raises(InvalidToken, match="expired"):
        tokens.verify(token)


def test_a_known_token_vouches_for_no_other_string() -> None:
    tokens = TokenService(SECRET, 900)
    token = tokens.issue(APPROVER)
    tokens.verify(token)
    header, payload, signature = token.split(".")
    tampered = [f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}",
                f"{header}.{payload[:-1]}.{signature}", f"{token}x"]
    for other in tampered:
        with pytest.raises(InvalidToken):
            tokens.verify(other)
    forged = TokenService("another key, just as long as the real", 900).issue(APPROVER)
    with pytest.raises(InvalidToken):
        tokens.verify(forged)


def test_at_most_max_verified_tokens_are_kept(monkeypatch) -> None:
    monkeypatch.setattr(TokenService, "MAX_VERIFIED", 3)
    tokens = TokenService(SECRET, 900)
    issued = [tokens.issue(APPROVER.model_copy(update={"username": f"tp.{i}"}))
              for i in range(5)]
    for token in issued:
        tokens.verify(token)
    assert list(tokens._verified) == issued[2:]
    assert tokens.verify(issued[0])["sub"] == "tp.0"  # verified again from its signature


def test_a_token_stands_for_the_account_as_it_was_issued_and_no_other() -> None:
    tokens = TokenService(SECRET, 900)
    claims = tokens.verify(tokens.issue(APPROVER))
    assert tokens.issued_for(claims, APPROVER.model_copy())
    # After a restart with the same key, or a reload of the same file: still valid.
    assert TokenService(SECRET, 900).issued_for(claims, APPROVER)
    for changed in ({"password_hash": HASH.replace("aGFz", "bmV3")}, {"department_code": "ktht"},
                    {"role": Role.SPECIALIST}, {"username": "tp.other"}):
        assert not tokens.issued_for(claims, APPROVER.model_copy(update=changed)), changed
    assert HASH not in str(claims) and "c2FsdHNhbHQ" not in str(claims)


def test_a_token_without_its_credential_claim_is_refused() -> None:
    old = jwt.encode({"sub": "tp.approver", "dept": "tp", "role": "approver", "iat": 0,
                      "exp": int(time.time()) + 900, "iss": "mot-cua-processing"}, SECRET)
    with pytest.raises(InvalidToken, match="cred"):
        TokenService(SECRET, 900).verify(old)
