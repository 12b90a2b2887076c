"""Notification's HTTP models: a template preview, and messages as officers and operators
see them (with their status history, Notify's way)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.types import MessageStatus, NotificationChannel


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, str | bool] = Field(default_factory=dict, max_length=50)
    version: int | None = Field(None, ge=1, description="Default: the latest version.")


class SmsPreview(BaseModel):
    text: str
    encoding: str
    segments: int


class PreviewOut(BaseModel):
    template_id: str
    version: int
    subject: str
    email: str
    sms: SmsPreview


class StatusChange(BaseModel):
    status: MessageStatus
    at: datetime
    detail: str | None = None


class MessageOut(BaseModel):
    id: uuid.UUID
    reference: str = Field(description="The dossier code.")
    channel: NotificationChannel
    recipient: str
    audience: str
    template_id: str
    template_version: int
    status: MessageStatus
    subject: str | None
    body: str
    encoding: str | None
    segments: int | None
    provider_id: str | None
    provider_answer: str | None
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange]

    @classmethod
    def of(cls, row: Any) -> MessageOut:
        found = dict(row)
        history = found.pop("history")
        found.pop("template_values", None)
        return cls(reference=found.pop("dossier_code"), status=found.pop("delivery_status"),
                   history=json.loads(history) if isinstance(history, str) else history,
                   **found)


class ReportAnswer(BaseModel):
    received: bool = True
    moved: bool
