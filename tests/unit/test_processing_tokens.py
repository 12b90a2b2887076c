"""Officers' tokens: a token that verified once is known again by its exact string only, and
only until it expires."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from services.processing import officers as officers_module
from services.processing.domain.errors import InvalidToken
from services.processing.domain.rules import Role
from services.processing.officers import Officer, TokenService

SECRET = "unit-test-secret-of-at-least-32-bytes"  # noqa: S105 - throw-away test key
APPROVER = Officer(username="tp.approver", department_code="tp", role=Role.APPROVER)


def test_a_token_seen_before_is_still_refused_once_expired(monkeypatch) -> None:
    tokens = TokenService(SECRET, 900)
    token = tokens.issue(APPROVER)
    claims = tokens.verify(token)
    assert (claims["sub"], claims["dept"], claims["role"]) == ("tp.approver", "tp", "approver")
    assert tokens.verify(token) == claims  # known again
    later = time.time() + 901
    monkeypatch.setattr(officers_module, "time", SimpleNamespace(time=lambda: later))
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
    issued = [tokens.issue(Officer(username=f"tp.{i}", department_code="tp",
                                   role=Role.APPROVER)) for i in range(5)]
    for token in issued:
        tokens.verify(token)
    assert list(tokens._verified) == issued[2:]
    assert tokens.verify(issued[0])["sub"] == "tp.0"  # verified again from its signature
