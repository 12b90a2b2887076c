"""Intake's rules, without I/O: what makes a submission acceptable, how codes look."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date

from services.intake.contracts import SubmitDossier
from shared.catalog import Procedure
from shared.events import EVENT_TYPES


@dataclass(frozen=True)
class DecodedDocument:
    kind: str
    filename: str
    content_type: str
    content: bytes


class SubmissionRefused(Exception):
    """The submission cannot be registered; ``reasons`` say why, one per problem."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def dossier_code(agency_code: str, business_date: date, number: int) -> str:
    """``{agency}-{yyMMdd}-{NNNN}``; past 9999 in a day the number simply grows."""
    return f"{agency_code}-{business_date:%y%m%d}-{number:04d}"


def check_submission(
    command: SubmitDossier,
    procedure: Procedure | None,
    *,
    max_document_bytes: int,
    max_dossier_bytes: int,
) -> list[DecodedDocument]:
    """Decode the documents and check the submission against its procedure."""
    if procedure is None:
        raise SubmissionRefused([f"procedure_code: unknown procedure {command.procedure_code!r}"])
    reasons: list[str] = []
    if command.return_method == "postal":
        if not procedure.postal_return:
            reasons.append("return_method: this procedure does not offer postal return")
        elif not command.postal_address:
            reasons.append("postal_address: required when return_method is 'postal'")
    documents: list[DecodedDocument] = []
    for index, doc in enumerate(command.documents):
        try:
            content = base64.b64decode(doc.content_base64, validate=True)
        except (binascii.Error, ValueError):
            reasons.append(f"documents[{index}].content_base64: not valid base64")
            continue
        if len(content) > max_document_bytes:
            reasons.append(
                f"documents[{index}]: {len(content)} bytes exceeds the limit of "
                f"{max_document_bytes} bytes"
            )
        documents.append(DecodedDocument(doc.kind, doc.filename, doc.content_type, content))
    total = sum(len(d.content) for d in documents)
    if total > max_dossier_bytes:
        reasons.append(f"documents: {total} bytes in all exceeds {max_dossier_bytes} bytes")
    by_kind = {d.kind: d for d in documents}
    for required in procedure.required_documents:
        doc = by_kind.get(required.kind)
        if doc is None:
            if required.mandatory:
                reasons.append(f"documents: missing mandatory document {required.kind!r}")
            continue
        if required.accepted_types and doc.content_type not in required.accepted_types:
            reasons.append(
                f"documents: {required.kind!r} must be one of {', '.join(required.accepted_types)}"
            )
        if len(doc.content) > required.max_bytes:
            reasons.append(f"documents: {required.kind!r} exceeds {required.max_bytes} bytes")
    if reasons:
        raise SubmissionRefused(reasons)
    return documents


def describe(event_type: str) -> str:
    """The Vietnamese name of a timeline entry, from the event contract itself."""
    model = EVENT_TYPES.get(event_type)
    return model.description_vi if model is not None and model.description_vi else event_type
