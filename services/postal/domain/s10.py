"""UPU S10 item identifiers, the tracking codes of postal parcels (VNPost EMS and others):
two letters (service), eight digits (serial), a check digit, two letters (country ISO 3166),
e.g. ``RR123456785GB``, ``EB000000007VN``."""

from __future__ import annotations

import re

_S10 = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")
_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def check_digit(serial: str) -> int:
    """The mod-11 check digit of an eight-digit serial: 11 − (Σ weight·digit mod 11), where a
    result of 10 gives 0 and 11 gives 5."""
    if len(serial) != 8 or not serial.isascii() or not serial.isdigit():
        raise ValueError("an S10 serial is eight ASCII digits")
    digit = 11 - sum(w * int(d) for w, d in zip(_WEIGHTS, serial, strict=True)) % 11
    return {10: 0, 11: 5}.get(digit, digit)


def is_s10(code: str) -> bool:
    found = _S10.fullmatch(code)
    return found is not None and check_digit(found.group(2)) == int(found.group(3))


def s10(service: str, serial: int, country: str = "VN") -> str:
    """The S10 code of a serial number (what a carrier issues; the sandbox uses it)."""
    digits = f"{serial:08d}"
    code = f"{service}{digits}{check_digit(digits)}{country}"
    if not _S10.fullmatch(code):
        raise ValueError(f"not an S10 code: {code!r}")
    return code
