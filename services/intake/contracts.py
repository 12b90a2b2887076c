"""What portals send. Unknown fields are ignored, never fatal; every error names its field.

The portal is never taken from the body: it is the one whose credential signed the request.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

_ID_NUMBER = re.compile(r"^\d{12}$")
_VN_PHONE = re.compile(r"^(0|\+84)(3|5|7|8|9)\d{8}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _id_number(value: str) -> str:
    if not _ID_NUMBER.match(value):
        raise ValueError("must be the 12-digit citizen identity number (số định danh cá nhân)")
    return value


def _phone(value: str) -> str:
    compact = value.replace(" ", "").replace(".", "")
    if not _VN_PHONE.match(compact):
        raise ValueError("must be a Vietnamese mobile number, like 0912345678 or +84912345678")
    return compact


def _sha256(value: str) -> str:
    if not _SHA256.match(value.lower()):
        raise ValueError("must be a SHA-256 digest: 64 hexadecimal digits")
    return value.lower()


class _Input(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class ApplicantIn(_Input):
    full_name: str = Field(min_length=1, max_length=200)
    id_number: Annotated[str, AfterValidator(_id_number)]
    phone: Annotated[str, AfterValidator(_phone)]
    email: EmailStr


class SubmittedByIn(_Input):
    """Who pressed "submit": the citizen, or a helper (e.g. a youth-union volunteer)."""

    kind: Literal["citizen", "helper"] = "citizen"
    name: str | None = Field(None, max_length=200)
    organisation: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _helper_named(self) -> Self:
        if self.kind == "helper" and not self.name:
            raise ValueError("a helper's submission needs the helper's name")
        return self


class DocumentIn(_Input):
    """A document, inline as base64 (JSON) or as a named part of a multipart upload.

    ``sha256``, when declared, must match the content, or the submission is refused.
    """

    kind: str = Field(min_length=1, max_length=100)
    filename: str | None = Field(None, min_length=1, max_length=255)
    content_type: str | None = Field(None, min_length=3, max_length=100)
    content_base64: str | None = None
    part: str | None = Field(None, description="multipart only: the name of the file part")
    sha256: Annotated[str, AfterValidator(_sha256)] | None = None


class SubmitDossier(_Input):
    """Command: a portal submits a citizen's dossier."""

    portal_submission_id: str = Field(min_length=1, max_length=128)
    procedure_code: str = Field(min_length=1, max_length=64)
    channel: str = Field("online", max_length=32, description="online, counter or postal")
    applicant: ApplicantIn
    submitted_by: SubmittedByIn = SubmittedByIn()
    return_method: Literal["online", "postal"]
    postal_address: str | None = Field(None, max_length=500)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)


class ProvideSupplement(_Input):
    """Command: the documents a supplement request asked for."""

    documents: list[DocumentIn] = Field(min_length=1, max_length=50)
    note: str | None = Field(None, max_length=1000)


class RequestWithdrawal(_Input):
    reason: str | None = Field(None, max_length=1000)
