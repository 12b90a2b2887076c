"""Portal signatures (version 2): vectors of the string to sign, and the matrix of good,
stale, wrong, rotated, re-targeted and tampered requests."""
# ruff: noqa: S106, S107 - the test portals' keys

from __future__ import annotations

import hashlib

import pytest

from shared.portal.auth import (
    SignatureRefused,
    canonical_query,
    http_string_to_sign,
    kafka_string_to_sign,
    parse_portal_secrets,
    sign,
    signed_headers,
    signed_record_headers,
    verify,
    verify_record,
)

NOW = 1_750_000_000.0
BODY = b'{"portal_submission_id": "s-1"}'
KEYS = {"portal-a": ("secret-a-0123456789",), "portal-b": ("old-secret-0123456789",
                                                          "new-secret-0123456789")}
NONCE = "nonce-0123456789abcdef"
EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
WITHDRAW = "/v1/dossiers/VTH-250123-0001/withdraw"


def _signed(body: bytes = BODY, *, method: str = "POST", path: str = "/v1/dossiers",
            query: str = "", portal: str = "portal-a", secret: str = "secret-a-0123456789",
            now: float = NOW) -> dict[str, str]:
    return signed_headers(portal, secret, body, method=method, path=path, query=query, now=now)


def _verify(headers: dict[str, str], body: bytes = BODY, *, method: str = "POST",
            path: str = "/v1/dossiers", query: str = "", now: float = NOW,
            keys: dict = KEYS) -> str:
    return verify(keys, headers, body, method=method, path=path, query=query, now=now).portal


def test_the_string_to_sign_is_seven_lines() -> None:
    text = http_string_to_sign("post", WITHDRAW, "", "1700000000", NONCE,
                               hashlib.sha256(b"{}").hexdigest())
    assert text == ("MOTCUA-HMAC-SHA256-2\nPOST\n/v1/dossiers/VTH-250123-0001/withdraw\n\n"
                    "1700000000\nnonce-0123456789abcdef\n"
                    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
    # Computed independently: printf '<the seven lines>' | openssl dgst -sha256 -hmac key
    assert sign("key", text) == (
        "db01e8e1a8d80af93a765a30580f0b130dfdd283ee2cedf0dd2d9961c75e754b")


def test_a_kafka_record_signs_the_topic_and_the_key_in_place_of_method_and_path() -> None:
    text = kafka_string_to_sign("portal.submissions", "sub/1 a", "1700000000", NONCE,
                                hashlib.sha256(b"{}").hexdigest())
    assert text.splitlines()[1:4] == ["portal.submissions", "sub%2F1%20a", ""]
    assert sign("key", text) == (
        "190ba8f12b16bcb1adc86b8caa5082c070b917dff7f86a16edbe200b473c3108")


@pytest.mark.parametrize(("raw", "canonical"), [
    ("", ""),
    ("b=2&a=1", "a=1&b=2"),
    ("a=x+y&a=%41", "a=A&a=x%20y"),  # decoded as the server reads it, sorted by name, value
    ("q=%C4%91%C6%A1n&flag", "flag=&q=%C4%91%C6%A1n"),
    ("x=a/b?c", "x=a%2Fb%3Fc"),
])
def test_the_canonical_query_is_sorted_and_percent_encoded(raw: str, canonical: str) -> None:
    assert canonical_query(raw) == canonical
    assert canonical_query(raw.encode()) == canonical


def test_a_path_is_signed_as_it_is_routed_encoded_again() -> None:
    text = http_string_to_sign("GET", "/v1/dossiers/Đơn 1", "", "1", NONCE, EMPTY)
    assert text.splitlines()[2] == "/v1/dossiers/%C4%90%C6%A1n%201"


def test_a_good_signature_names_the_portal() -> None:
    assert _verify(_signed(), now=NOW + 10) == "portal-a"


def test_a_captured_get_cannot_be_replayed_as_a_withdrawal() -> None:
    get = _signed(b"", method="GET", path="/v1/dossiers/VTH-250123-0001")
    assert _verify(get, b"", method="GET", path="/v1/dossiers/VTH-250123-0001") == "portal-a"
    for method, path in [("POST", "/v1/dossiers/VTH-250123-0001"), ("POST", WITHDRAW),
                         ("GET", "/v1/dossiers/VTH-250123-0002")]:
        with pytest.raises(SignatureRefused, match="does not match this request"):
            _verify(get, b"", method=method, path=path)


def test_a_changed_query_is_refused_but_its_order_is_not_a_change() -> None:
    headers = _signed(b"", method="GET", path="/v1/x", query="a=1&b=2")
    assert _verify(headers, b"", method="GET", path="/v1/x", query="b=2&a=1") == "portal-a"
    for query in ("a=1&b=3", "a=1", "a=1&b=2&c=", ""):
        with pytest.raises(SignatureRefused, match="does not match"):
            _verify(headers, b"", method="GET", path="/v1/x", query=query)


def test_a_version_1_signature_is_refused_naming_version_2() -> None:
    headers = _signed()
    del headers["X-Nonce"]
    with pytest.raises(SignatureRefused, match=r"version 1.*sign version 2"):
        _verify(headers)


@pytest.mark.parametrize("nonce", ["short", "n" * 65, "nonce with spaces 0123", "é" * 20])
def test_a_malformed_nonce_is_refused(nonce: str) -> None:
    with pytest.raises(SignatureRefused, match="X-Nonce: expected"):
        _verify({**_signed(), "X-Nonce": nonce})


def test_every_signing_draws_a_new_nonce() -> None:
    assert _signed()["X-Nonce"] != _signed()["X-Nonce"]


def test_a_tampered_nonce_is_refused() -> None:
    headers = _signed()
    headers["X-Nonce"] = "another-nonce-0123456789"
    with pytest.raises(SignatureRefused, match="does not match"):
        _verify(headers)


def test_a_kafka_signature_is_bound_to_its_topic_and_key() -> None:
    headers = signed_record_headers("portal-a", "secret-a-0123456789", BODY,
                                    topic="portal.submissions", key="s-1", now=NOW)
    claimed = verify_record(KEYS, headers, BODY, topic="portal.submissions", key="s-1", now=NOW)
    assert claimed.portal == "portal-a"
    for topic, key in [("portal.other", "s-1"), ("portal.submissions", "s-2")]:
        with pytest.raises(SignatureRefused, match="does not match"):
            verify_record(KEYS, headers, BODY, topic=topic, key=key, now=NOW)
    with pytest.raises(SignatureRefused, match="does not match"):  # nor is it an HTTP request
        verify(KEYS, headers, BODY, method="POST", path="/v1/dossiers", now=NOW)


def test_a_record_may_be_older_than_a_request_and_its_nonce_is_kept_as_long() -> None:
    headers = signed_record_headers("portal-a", "secret-a-0123456789", BODY,
                                    topic="portal.submissions", key="s-1", now=NOW)
    claimed = verify_record(KEYS, headers, BODY, topic="portal.submissions", key="s-1",
                            now=NOW + 3600, max_age_s=86_400)
    assert claimed.expires_at == int(NOW) + 86_400 + 1


@pytest.mark.parametrize("drift", [301, -301, 3600])
def test_a_stale_or_future_timestamp_is_refused(drift: int) -> None:
    with pytest.raises(SignatureRefused, match="stale"):
        _verify(_signed(), now=NOW + drift)


def test_five_minutes_exactly_is_still_fresh() -> None:
    assert _verify(_signed(), now=NOW + 300) == "portal-a"


def test_a_wrong_secret_is_refused() -> None:
    with pytest.raises(SignatureRefused, match="does not match"):
        _verify(_signed(secret="not-the-secret-0123"))


def test_a_tampered_body_is_refused() -> None:
    with pytest.raises(SignatureRefused, match="does not match"):
        _verify(_signed(), BODY.replace(b"s-1", b"s-2"))


def test_a_tampered_timestamp_is_refused() -> None:
    headers = _signed()
    headers["X-Timestamp"] = str(int(NOW) + 1)
    with pytest.raises(SignatureRefused, match="does not match"):
        _verify(headers)


def test_during_rotation_both_secrets_verify_and_afterwards_only_the_new_one() -> None:
    for secret in ("old-secret-0123456789", "new-secret-0123456789"):
        assert _verify(_signed(portal="portal-b", secret=secret)) == "portal-b"
    rotated = {"portal-b": ("new-secret-0123456789",)}
    with pytest.raises(SignatureRefused):
        _verify(_signed(portal="portal-b", secret="old-secret-0123456789"), keys=rotated)


def test_another_portals_secret_does_not_verify() -> None:
    with pytest.raises(SignatureRefused, match="portal-b"):
        _verify(_signed(portal="portal-b"))


@pytest.mark.parametrize("dropped", ["X-Portal-Id", "X-Timestamp", "X-Signature"])
def test_a_missing_header_is_named(dropped: str) -> None:
    headers = _signed()
    del headers[dropped]
    with pytest.raises(SignatureRefused, match=f"missing header.*{dropped}"):
        _verify(headers)


def test_unknown_portal_and_malformed_timestamp_are_named() -> None:
    with pytest.raises(SignatureRefused, match="unknown portal 'portal-z'"):
        _verify(_signed(portal="portal-z"))
    with pytest.raises(SignatureRefused, match="unix seconds"):
        _verify({**_signed(), "X-Timestamp": "2025-01-01T00:00:00Z"})


def test_headers_are_matched_whatever_their_case() -> None:
    assert _verify({k.lower(): v for k, v in _signed().items()}) == "portal-a"


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
