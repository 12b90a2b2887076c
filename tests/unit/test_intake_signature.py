"""Intake checks a portal's signature on headers first, then on the body's SHA-256 as it
streams: it must answer exactly as the shared ``verify`` does on the whole request."""

from __future__ import annotations

import hashlib
import time

import pytest
from fastapi import HTTPException

from services.intake.api.signature import http_claim, refused
from shared.portal.auth import (
    SignatureRefused,
    http_string_to_sign,
    sign,
    signed_headers,
    verify,
)

KEYS = {"portal-a": ("secret-one-0000001", "secret-two-0000002")}
NOW = 1_800_000_000.0
BODY = b'{"portal_submission_id": "s-1"}'
PATH = "/v1/dossiers"


def _streamed(headers: dict[str, str], body: bytes) -> str:
    claimed = http_claim(KEYS, headers, max_skew_s=300, now=NOW)
    digest = hashlib.sha256()
    for start in range(0, len(body), 7):  # in chunks, as a socket delivers it
        digest.update(body[start:start + 7])
    text = http_string_to_sign("POST", PATH, b"", claimed.timestamp, claimed.nonce,
                               digest.hexdigest())
    try:
        claimed.check(KEYS, text)
    except SignatureRefused as refusal:
        raise refused(str(refusal)) from None
    return claimed.portal


def _headers(secret: str, body: bytes, now: float = NOW) -> dict[str, str]:
    return signed_headers("portal-a", secret, body, method="POST", path=PATH, now=now)


def _cases() -> list[tuple[dict[str, str], bytes]]:
    good = _headers("secret-two-0000002", BODY)
    text = http_string_to_sign("POST", PATH, "", str(int(NOW)), "n" * 16,
                               hashlib.sha256(BODY).hexdigest())
    return [
        (good, BODY), (good, BODY + b" "), ({**good, "X-Portal-Id": "portal-b"}, BODY),
        (_headers("secret-one-0000001", BODY, NOW - 301), BODY),
        (_headers("secret-one-0000001", BODY, NOW + 301), BODY),
        (_headers("secret-one-0000001", b""), b""),
        ({**good, "X-Timestamp": "²⁰²⁵"}, BODY), ({**good, "X-Timestamp": "9" * 5000}, BODY),
        ({**good, "X-Signature": "z" * 64}, BODY), ({**good, "X-Signature": ""}, BODY),
        ({**good, "X-Nonce": "x"}, BODY),
        ({k: v for k, v in good.items() if k != "X-Timestamp"}, BODY),
        ({k: v for k, v in good.items() if k != "X-Nonce"}, BODY),
        ({**good, "X-Signature": good["X-Signature"].upper()}, BODY),
        ({"x-portal-id": "portal-a", "x-timestamp": str(int(NOW)), "x-nonce": "n" * 16,
          "x-signature": sign("secret-one-0000001", text)}, BODY),
    ]


@pytest.mark.parametrize(("headers", "body"), _cases())
def test_the_streamed_check_agrees_with_the_shared_verify(headers: dict, body: bytes) -> None:
    try:
        expected: str | None = verify(KEYS, headers, body, method="POST", path=PATH,
                                      now=NOW).portal
    except SignatureRefused:
        expected = None
    try:
        got: str | None = _streamed(headers, body)
    except HTTPException as refusal:
        assert refusal.status_code == 401 and refusal.detail
        got = None
    assert got == expected


def test_the_shared_clock_is_the_default() -> None:
    headers = signed_headers("portal-a", "secret-one-0000001", b"", method="GET", path="/")
    assert http_claim(KEYS, headers, max_skew_s=5).portal == "portal-a"
    assert time.time() - int(headers["X-Timestamp"]) < 5
