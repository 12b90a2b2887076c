"""Intake checks a portal's signature on headers first, then on the body as it streams: it
must answer exactly as the shared ``verify`` does on the whole request."""

from __future__ import annotations

import time

import pytest
from fastapi import HTTPException

from services.intake.api.signature import claim
from shared.portal.auth import SignatureRefused, sign, signed_headers, verify

KEYS = {"portal-a": ("secret-one-0000001", "secret-two-0000002")}
NOW = 1_800_000_000.0
BODY = b'{"portal_submission_id": "s-1"}'


def _streamed(headers: dict[str, str], body: bytes) -> str:
    claimed = claim(KEYS, headers, max_skew_s=300, now=NOW)
    running = claimed.hmacs(KEYS)
    for start in range(0, len(body), 7):  # in chunks, as a socket delivers it
        for h in running:
            h.update(body[start:start + 7])
    if not claimed.matches(running):
        raise HTTPException(401, "does not match")
    return claimed.portal


def _cases() -> list[tuple[dict[str, str], bytes]]:
    good = signed_headers("portal-a", "secret-two-0000002", BODY, now=NOW)
    return [
        (good, BODY), (good, BODY + b" "), ({**good, "X-Portal-Id": "portal-b"}, BODY),
        (signed_headers("portal-a", "secret-one-0000001", BODY, now=NOW - 301), BODY),
        (signed_headers("portal-a", "secret-one-0000001", BODY, now=NOW + 301), BODY),
        (signed_headers("portal-a", "secret-one-0000001", b"", now=NOW), b""),
        ({**good, "X-Timestamp": "²⁰²⁵"}, BODY), ({**good, "X-Timestamp": "9" * 5000}, BODY),
        ({**good, "X-Signature": "z" * 64}, BODY), ({**good, "X-Signature": ""}, BODY),
        ({k: v for k, v in good.items() if k != "X-Timestamp"}, BODY),
        ({**good, "X-Signature": good["X-Signature"].upper()}, BODY),
        ({"x-portal-id": "portal-a", "x-timestamp": str(int(NOW)),
          "x-signature": sign("secret-one-0000001", str(int(NOW)), BODY)}, BODY),
    ]


@pytest.mark.parametrize(("headers", "body"), _cases())
def test_the_streamed_check_agrees_with_the_shared_verify(headers: dict, body: bytes) -> None:
    try:
        expected: str | None = verify(KEYS, headers, body, now=NOW)
    except SignatureRefused:
        expected = None
    try:
        got: str | None = _streamed(headers, body)
    except HTTPException as refused:
        assert refused.status_code == 401
        got = None
    assert got == expected


def test_the_shared_clock_is_the_default() -> None:
    headers = signed_headers("portal-a", "secret-one-0000001", b"")
    assert claim(KEYS, headers, max_skew_s=5).portal == "portal-a"
    assert time.time() - int(headers["X-Timestamp"]) < 5
