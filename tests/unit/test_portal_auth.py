"""Portal signatures: the matrix of good, stale, wrong, rotated and tampered requests."""

from __future__ import annotations

import pytest

from shared.portal.auth import (
    SignatureRefused,
    parse_portal_secrets,
    sign,
    signed_headers,
    verify,
)

NOW = 1_750_000_000.0
BODY = b'{"portal_submission_id": "s-1"}'
KEYS = {"portal-a": ("secret-a-0123456789",), "portal-b": ("old-secret-0123456789",
                                                          "new-secret-0123456789")}


def test_a_good_signature_names_the_portal() -> None:
    headers = signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW)
    assert verify(KEYS, headers, BODY, now=NOW + 10) == "portal-a"


def test_the_signature_is_hmac_sha256_of_timestamp_newline_body() -> None:
    # Computed independently: printf '1700000000\n{}' | openssl dgst -sha256 -hmac key
    assert sign("key", "1700000000", b"{}") == (
        "dc69947da92a4b74a8dc1043568a9cd906a846272955d61394a6ff449c53eb36"
    )


@pytest.mark.parametrize("drift", [301, -301, 3600])
def test_a_stale_or_future_timestamp_is_refused(drift: int) -> None:
    headers = signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW)
    with pytest.raises(SignatureRefused, match="stale"):
        verify(KEYS, headers, BODY, now=NOW + drift)


def test_five_minutes_exactly_is_still_fresh() -> None:
    headers = signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW)
    assert verify(KEYS, headers, BODY, now=NOW + 300) == "portal-a"


def test_a_wrong_secret_is_refused() -> None:
    headers = signed_headers("portal-a", "not-the-secret-0123", BODY, now=NOW)
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(KEYS, headers, BODY, now=NOW)


def test_a_tampered_body_is_refused() -> None:
    headers = signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW)
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(KEYS, headers, BODY.replace(b"s-1", b"s-2"), now=NOW)


def test_a_tampered_timestamp_is_refused() -> None:
    headers = signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW)
    headers["X-Timestamp"] = str(int(NOW) + 1)
    with pytest.raises(SignatureRefused, match="does not match"):
        verify(KEYS, headers, BODY, now=NOW)


def test_during_rotation_both_secrets_verify_and_afterwards_only_the_new_one() -> None:
    for secret in ("old-secret-0123456789", "new-secret-0123456789"):
        headers = signed_headers("portal-b", secret, BODY, now=NOW)
        assert verify(KEYS, headers, BODY, now=NOW) == "portal-b"
    rotated = {"portal-b": ("new-secret-0123456789",)}
    old = signed_headers("portal-b", "old-secret-0123456789", BODY, now=NOW)
    with pytest.raises(SignatureRefused):
        verify(rotated, old, BODY, now=NOW)


def test_another_portals_secret_does_not_verify() -> None:
    headers = signed_headers("portal-b", "secret-a-0123456789", BODY, now=NOW)
    with pytest.raises(SignatureRefused, match="portal-b"):
        verify(KEYS, headers, BODY, now=NOW)


@pytest.mark.parametrize("dropped", ["X-Portal-Id", "X-Timestamp", "X-Signature"])
def test_a_missing_header_is_named(dropped: str) -> None:
    headers = signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW)
    del headers[dropped]
    with pytest.raises(SignatureRefused, match=f"missing header.*{dropped}"):
        verify(KEYS, headers, BODY, now=NOW)


def test_unknown_portal_and_malformed_timestamp_are_named() -> None:
    headers = signed_headers("portal-z", "secret-a-0123456789", BODY, now=NOW)
    with pytest.raises(SignatureRefused, match="unknown portal 'portal-z'"):
        verify(KEYS, headers, BODY, now=NOW)
    headers = {**signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW),
               "X-Timestamp": "2025-01-01T00:00:00Z"}
    with pytest.raises(SignatureRefused, match="unix seconds"):
        verify(KEYS, headers, BODY, now=NOW)


def test_headers_are_matched_whatever_their_case() -> None:
    headers = {k.lower(): v for k, v in
               signed_headers("portal-a", "secret-a-0123456789", BODY, now=NOW).items()}
    assert verify(KEYS, headers, BODY, now=NOW) == "portal-a"


def test_portal_secrets_parse_one_or_two_secrets_per_portal() -> None:
    text = " dvc-quoc-gia:aaaaaaaaaaaaaaaa ; can_tho:bbbbbbbbbbbbbbbb,cccccccccccccccc\n"
    assert parse_portal_secrets(text) == {
        "dvc-quoc-gia": ("aaaaaaaaaaaaaaaa",),
        "can_tho": ("bbbbbbbbbbbbbbbb", "cccccccccccccccc"),
    }
    assert parse_portal_secrets("") == {}


@pytest.mark.parametrize(("text", "problem"), [
    ("portal-a", "expected <portal id>:<secret>"),
    ("bad/id:aaaaaaaaaaaaaaaa", "expected <portal id>:<secret>"),
    ("p:aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb,cccccccccccccccc", "two while rotating"),
    ("p:", "two while rotating"),
    ("p:short", "at least 16 characters"),
    ("p:aaaaaaaaaaaaaaaa;p:bbbbbbbbbbbbbbbb", "listed twice"),
])
def test_malformed_portal_secrets_are_refused_without_echoing_a_secret(
    text: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as refused:
        parse_portal_secrets(text)
    assert "aaaaaaaaaaaaaaaa" not in str(refused.value)
    assert "short" not in str(refused.value)
