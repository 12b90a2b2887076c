"""structlog configuration shared by every process.

JSON lines when the output is not a terminal (containers, CI), a readable console
rendering when it is. Library logs (uvicorn, aiokafka, FastStream) go through the same
processors. Citizen identity numbers (12-digit CCCD) are masked in every event, whatever
field or message they arrive in, so a careless log call cannot leak one.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_ID_NUMBER = re.compile(r"(?<!\d)(\d{3})\d{6}(\d{3})(?!\d)")


def mask_identity_numbers(text: str) -> str:
    """``079203001234`` → ``079******234``: enough to tell two citizens apart in a log."""
    return _ID_NUMBER.sub(r"\1******\2", text)


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_identity_numbers(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def redact_identity_numbers(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: _mask(value) for key, value in event_dict.items()}


def configure_logging(service: str, *, fmt: str = "auto", level: str = "INFO") -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.stdlib.ExtraAdder(),
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
            redact_identity_numbers,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access", "faststream"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream"):
        lib = logging.getLogger(name)
        lib.handlers[:] = []
        lib.propagate = True
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


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
