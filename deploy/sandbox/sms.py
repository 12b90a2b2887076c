"""Sandbox SMS gateway: accepts every message and keeps it for inspection. Idempotent by
key: a repeated key answers the message as it is now.

Switches (see :mod:`deploy.sandbox.script`), per recipient number:

- ``PUT /sms/_sandbox/messages/{to}`` ``{"answers": [...]}``: the next messages to that
  number answer ``delivered``, ``pending`` (queued at the operator: ask again later),
  ``failed`` (refused for good: not a mobile number), ``error`` (503) or ``timeout``.
- ``GET /sms/_sandbox/messages/{to}/calls``: one entry per call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from deploy.sandbox.script import Script

router = APIRouter(prefix="/sms", tags=["SMS gateway (sandbox)"])
_messages: dict[str, dict[str, str]] = {}
script = Script("messages", ("delivered", "pending", "failed"))
router.include_router(script.router())


class SmsIn(BaseModel):
    to: str
    text: str


@router.post("/v1/messages")
async def send_sms(
    body: SmsIn, idempotency_key: Annotated[str, Header(alias="Idempotency-Key")],
    http: Request,
) -> dict[str, str]:
    answer = await script.take(body.to, http)
    message = _messages.setdefault(
        idempotency_key,
        {"id": idempotency_key, "status": "delivered", "to": body.to, "text": body.text,
         "at": datetime.now(UTC).isoformat()},
    )
    if answer is not None:
        message["status"] = answer
    return {"id": message["id"], "status": message["status"]}


@router.get("/v1/messages")
async def list_sms() -> list[dict[str, str]]:
    return list(_messages.values())
