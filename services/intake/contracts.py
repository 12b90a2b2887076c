"""The HTTP contract portals use. Unknown fields are ignored, never fatal."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

ID_NUMBER = r"^\d{12}$"  # căn cước công dân: 12 digits
VN_PHONE = r"^(0|\+84)(3|5|7|8|9)\d{8}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class ApplicantIn(_Input):
    full_name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(pattern=ID_NUMBER, description="12-digit citizen identity number")
    phone: str = Field(pattern=VN_PHONE, description="Vietnamese mobile number")
    email: EmailStr


class DocumentIn(_Input):
    kind: str = Field(min_length=1, max_length=100)
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=100)
    content_base64: str = Field(min_length=1)


class SubmitDossier(_Input):
    """Command: a portal submits a citizen's dossier."""

    portal: str = Field(min_length=1, max_length=64)
    portal_submission_id: str = Field(min_length=1, max_length=128)
    procedure_code: str = Field(min_length=1, max_length=64)
    applicant: ApplicantIn
    return_method: Literal["online", "postal"]
    postal_address: str | None = Field(None, max_length=500)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)


class DossierReceipt(BaseModel):
    dossier_code: str
    status: str
    received_at: datetime
    due_date: date


class TimelineEntry(BaseModel):
    occurred_at: datetime
    event_type: str
    status: str | None
    description: str
    producer: str
    detail: dict[str, Any] = Field(default_factory=dict)


class DossierView(BaseModel):
    dossier_id: uuid.UUID
    dossier_code: str
    procedure_code: str
    department_code: str
    status: str
    status_label: str
    received_at: datetime
    due_date: date
    return_method: str
    timeline: list[TimelineEntry]


class RequiredDocument(BaseModel):
    kind: str
    name: str
    mandatory: bool
    accepted_types: list[str]
    max_bytes: int


class ProcedureSummary(BaseModel):
    code: str
    national_code: str | None
    name: str
    department_code: str
    fee: int
    committed_days: int
    statutory_days: int
    postal_return: bool
    postage: int
    required_documents: list[RequiredDocument]
