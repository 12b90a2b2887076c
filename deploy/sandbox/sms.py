"""Sandbox SMS gateway: accepts every message and keeps it for inspection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel

router = APIRouter(prefix="/sms", tags=["SMS gateway (sandbox)"])
_messages: dict[str, dict[str, str]] = {}


class SmsIn(BaseModel):
    to: str
    text: str


@router.post("/v1/messages")
async def send_sms(
    body: SmsIn, idempotency_key: Annotated[str, Header(alias="Idempotency-Key")]
) -> dict[str, str]:
    message = _messages.setdefault(
        idempotency_key,
        {"id": idempotency_key, "status": "delivered", "to": body.to, "text": body.text,
         "at": datetime.now(UTC).isoformat()},
    )
    return {"id": message["id"], "status": message["status"]}


@router.get("/v1/messages")
async def list_sms() -> list[dict[str, str]]:
    return list(_messages.values())
