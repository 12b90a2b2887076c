"""Intake's rules, without I/O: codes, fingerprints, who may do what, what the public sees."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.intake.blobs import Blob
from services.intake.schemas import SubmitDossier
from shared.contracts.events import EVENT_TYPES
from shared.contracts.status import DossierStatus


@dataclass(frozen=True)
class DecodedDocument:
    kind: str
    filename: str
    content_type: str
    content: Blob
    declared_sha256: str | None = None

    @property
    def sha256(self) -> str:
        return self.content.sha256

    @property
    def size(self) -> int:
        return self.content.size

    @property
    def head(self) -> bytes:
        return self.content.head


class SubmissionRefused(Exception):
    """The request cannot be registered; ``reasons`` say why, one per problem."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons

    @property
    def detail(self) -> list[str]:
        return self.reasons


class Conflict(Exception):
    """The dossier's state, or an earlier request, does not allow this one (HTTP 409)."""

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def fields(self) -> dict[str, str]:
        """The dossier's status, when it is what refused the request."""
        if not self.status:
            return {}
        return {"status": self.status, "status_label": DossierStatus(self.status).label_vi}


class QuotaExceeded(SubmissionRefused):
    """The portal's documents exceed its daily storage quota: HTTP 429 (a more specific
    mapping than its base's 422), and over Kafka a refused receipt, like any refusal."""

    def __init__(self, reason: str) -> None:
        super().__init__([reason])


class StagingExpired(Exception):
    """A document's lease was swept before its dossier committed: try again (HTTP 503)."""


class DossierNotFound(LookupError):
    """No dossier of that code from this portal (another portal's does not exist for it)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no dossier {code!r} from this portal")


def dossier_code(agency_code: str, business_date: date, number: int) -> str:
    """``{agency}-{yyMMdd}-{NNNN}``; past 9999 in a day the number simply grows."""
    return f"{agency_code}-{business_date:%y%m%d}-{number:04d}"


def fingerprint(command: SubmitDossier, documents: list[DecodedDocument]) -> str:
    """What makes two submissions "the same": every field, and each document by checksum, so
    the same dossier sent as JSON and as multipart is one submission."""
    canonical = command.model_dump(mode="json", exclude={"documents"})
    canonical["documents"] = [[d.kind, d.filename, d.content_type, d.sha256] for d in documents]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def describe(event_type: str) -> str:
    """The Vietnamese name of a timeline entry, from the event contract itself."""
    model = EVENT_TYPES.get(event_type)
    return model.description_vi if model is not None and model.description_vi else event_type


# Kept in the timeline for the portal's view; officers' free text and parcel numbers stay out
# of the public view. ``missing`` is an officer's list: only the entries that are document
# kinds of the procedure are public (in the review it held another person's name and CCCD).
TIMELINE_DETAIL = ("outcome", "reason", "tracking_code", "method", "amount", "channel",
                   "missing", "deadline", "actor_role", "due_date", "new_due_date",
                   "submitted_by", "pay_url", "status_label_vi", "audit_head")
_PUBLIC_DETAIL = ("outcome", "method", "amount", "deadline", "actor_role", "due_date",
                  "new_due_date", "delivery_status", "status_label_vi")
_MESSAGE_STATES = {"created": "đang chuẩn bị", "sending": "đang gửi",
                   "delivered": "đã đến nơi", "permanent-failure": "không gửi được",
                   "temporary-failure": "tạm thời chưa gửi được",
                   "technical-failure": "lỗi kỹ thuật khi gửi"}
_CHANNELS = {"email": "thư điện tử", "sms": "tin nhắn SMS"}


def public_detail(detail: dict[str, Any], document_kinds: Collection[str]) -> dict[str, Any]:
    """A timeline entry's detail without personal data or officers' words: of ``missing``, the
    procedure's ``document_kinds`` only; an assisted submission shows the helper's
    organisation, never the helper's name."""
    shown = {k: detail[k] for k in _PUBLIC_DETAIL if k in detail}
    if "delivery_status" in detail and "channel" in detail:  # a message's: email or SMS
        shown["channel"] = detail["channel"]
    if isinstance(detail.get("missing"), list):
        shown["missing"] = [m for m in detail["missing"] if m in document_kinds]
    helper = detail.get("submitted_by") or {}
    if helper.get("kind") == "helper":
        shown["assisted"] = True
        if helper.get("organisation"):
            shown["organisation"] = helper["organisation"]
    return shown


def public_description(event_type: str, detail: dict[str, Any]) -> str:
    text = describe(event_type)
    if event_type == "NotificationStatusChanged":
        channel = _CHANNELS.get(detail.get("channel", ""), "thông báo")
        state = _MESSAGE_STATES.get(detail.get("delivery_status", ""))
        if state:
            text += f": {channel} {state}"
    helper = detail.get("submitted_by") or {}
    if helper.get("kind") == "helper":
        by = helper.get("organisation") or "người hỗ trợ"
        text += f" (nộp thay, với sự hỗ trợ của {by})"
    return text


def fee_link(timeline: Collection[Any]) -> str | None:
    """The payment link of the latest fee request, until the fee is paid or cancelled."""
    link = None
    for entry in timeline:
        if entry["event_type"] == "PaymentRequested":
            link = (entry["detail"] or {}).get("pay_url")
        elif entry["event_type"] in ("PaymentCompleted", "PaymentCancelled"):
            link = None
    return link


def timeline_detail(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: payload[k] for k in TIMELINE_DETAIL if payload.get(k) is not None}
