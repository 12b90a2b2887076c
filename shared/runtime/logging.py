r"""structlog configuration shared by every process.

JSON lines when the output is not a terminal (containers, CI), a readable console
rendering when it is. Library logs (uvicorn, aiokafka, FastStream) go through the same
processors. A citizen's personal data is masked in every event, whatever field or message
it arrives in, so a careless log call (or an exception that repeats its input) cannot leak
it:

- by pattern, in every string: identity numbers (12-digit CCCD), phone numbers (0 or +84
  and nine digits), email addresses, street addresses (a house number then a street word:
  "12 Đường 3/2, …", to the end of the quote or line) and full names that start with one of
  the Vietnamese surnames most people carry (``Nguyễn Thị Hoa``; nine in ten Vietnamese
  carry one of ``SURNAMES``);
- by field, whatever the value: a field named like a name, a phone, an email, an address
  or an identity number (``PERSONAL_FIELDS``) is masked whole, in any nested mapping.

Each line carries the ``trace_id`` and ``span_id`` of the span in force, when one is.

Digits are matched with ``\d`` on purpose: it also matches fullwidth and other Unicode
digits, which a hostile or careless input may carry, and a masked non-number costs nothing.
"""

from __future__ import annotations

import itertools
import logging
import re
import sys
import unicodedata
from typing import Any

import structlog

from shared.runtime.telemetry import current_ids

_ID_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{6}(\d{3})(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(\+\d\d|\d)(\d)\d{6}(\d{2})(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_STREET_WORDS = ("đường", "phố", "ngõ", "ngách", "hẻm", "kiệt", "quốc lộ", "tỉnh lộ",
                 "ấp", "thôn", "xóm", "tổ", "khu phố", "số nhà")
_STREET = re.compile(r"(?i)(?<!\w)(?:số\s+)?\d+[\w/-]*,?\s+(?:" + "|".join(_STREET_WORDS)
                     + r")(?!\w)[^\n\"';|]*")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đào", "Đoàn", "Vương", "Trương",
            "Đinh", "Lâm", "Phùng", "Mai", "Tô", "Hà", "Tạ", "Châu", "Lương", "Lưu", "Cao",
            "Thái", "Quách", "Kiều", "Triệu", "Văn", "Tăng", "Lại", "Từ", "Đàm")
_NAME = re.compile(r"(?<!\w)(?:" + "|".join(SURNAMES) + r")(?:[ \t]+[^\W\d_]+){1,4}")
PERSONAL_FIELDS = frozenset({
    "full_name", "name", "applicant_name", "recipient_name", "helper_name",
    "phone", "phone_number", "mobile", "email", "email_address", "recipient",
    "address", "postal_address", "street", "address_line", "delivery_address",
    "id_number", "identity_number", "cccd",
})
"""Fields masked whole, whatever they hold (``recipient`` is already masked by notification,
and is masked again: nothing is lost but a hint)."""


def mask_identity_numbers(text: str) -> str:
    """``079203001234`` → ``079******234``: enough to tell two citizens apart in a log."""
    return _ID_NUMBER.sub(r"\1******\2", text)


def _mask_name(match: re.Match[str]) -> str:
    """The surname and the capitalised words after it, each to its initial."""
    text = match.group(0)
    words = list(re.finditer(r"\S+", text))
    name = [words[0], *itertools.takewhile(lambda w: w.group(0)[0].isupper(), words[1:])]
    if len(name) < 2:
        return text  # a surname alone is a word like any other
    return " ".join(f"{w.group(0)[0]}***" for w in name) + text[name[-1].end():]


def _mask_phone(match: re.Match[str]) -> str:
    """A Vietnamese number (0 then nine digits, or +84 then nine), in any script's digits."""
    lead, second, last = match.groups()
    digits = [unicodedata.digit(c, -1) for c in lead.lstrip("+")]
    if digits != ([8, 4] if lead.startswith("+") else [0]):
        return match.group(0)
    return f"{lead}{second}******{last}"


def mask_personal_data(text: str) -> str:
    """Every pattern of personal data in ``text`` masked (see the module's doc)."""
    text = mask_identity_numbers(text)
    text = _PHONE.sub(_mask_phone, text)
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = _STREET.sub("[address]", text)
    return _NAME.sub(_mask_name, text)


def _mask_field(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    return "***"


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {k: _mask_field(v) if isinstance(k, str) and k.lower() in PERSONAL_FIELDS
                else _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def redact_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = _mask(event_dict)
    return masked


redact_identity_numbers = redact_personal_data  # the name it had when it masked only those


def configure_logging(service: str, *, fmt: str = "auto", level: str = "INFO") -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ExtraAdder(),
        add_trace_ids,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _drop_noise,
            structlog.processors.format_exc_info if use_json else _identity,
            redact_personal_data,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # weasyprint.progress: seven lines per PDF printed, at INFO.
    for noisy in ("aiokafka", "uvicorn.access", "faststream", "weasyprint.progress"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream"):
        lib = logging.getLogger(name)
        lib.handlers[:] = []
        lib.propagate = True
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def add_trace_ids(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """``trace_id`` and ``span_id`` of the span in force (shared.runtime.telemetry), so a
    line is found from its trace and a trace from its line; nothing outside a span."""
    ids = current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def _drop_noise(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    event_dict.pop("color_message", None)  # uvicorn's duplicate of the message, with ANSI codes
    if event_dict.get("extra") is None:
        event_dict.pop("extra", None)
    return event_dict


def _identity(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return event_dict


def mask_email(address: str) -> str:
    """``nguyen.van.a@example.vn`` → ``n***@example.vn``."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
