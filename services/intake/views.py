"""What intake answers: receipts to portals, the portal's view of a dossier, public tracking."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class DossierReceipt(BaseModel):
    dossier_code: str
    status: str
    received_at: datetime
    due_date: date = Field(description="Committed due date (provisional until acceptance)")
    statutory_due_date: date | None = None
    catalog_version: str | None = None


class PortalReceipt(BaseModel):
    """The outcome of a Kafka submission, on ``portal.<portal_id>.receipts``."""

    portal_submission_id: str
    outcome: Literal["accepted", "refused"]
    replay: bool = Field(False, description="The same submission was registered before")
    receipt: DossierReceipt | None = None
    reasons: list[str] = Field(default_factory=list)


class TimelineEntry(BaseModel):
    occurred_at: datetime
    event_type: str
    status: str | None
    description: str
    producer: str
    detail: dict[str, Any] = Field(default_factory=dict)


class DossierView(BaseModel):
    """The submitting portal's view: everything but the applicant's personal data."""

    dossier_id: uuid.UUID
    dossier_code: str
    procedure_code: str
    department_code: str
    catalog_version: str
    channel: str
    status: str
    status_label: str
    received_at: datetime
    due_date: date
    statutory_due_date: date | None
    return_method: str
    submitted_by: dict[str, Any]
    timeline: list[TimelineEntry]


class PublicTimelineEntry(BaseModel):
    occurred_at: datetime
    description: str
    status: str | None
    status_label: str | None
    detail: dict[str, Any] = Field(default_factory=dict)


class TrackingView(BaseModel):
    """What anyone holding a dossier code may see: nothing personal."""

    dossier_code: str
    procedure_code: str
    procedure_name: str | None
    status: str
    status_label: str
    received_at: datetime
    due_date: date
    timeline: list[PublicTimelineEntry]


class WithdrawalAnswer(BaseModel):
    dossier_code: str
    status: str
    withdrawal_requested_at: datetime
    replay: bool = False


class SupplementAnswer(BaseModel):
    dossier_code: str
    status: str
    provided_at: datetime
    documents: list[dict[str, Any]]
    replay: bool = False
