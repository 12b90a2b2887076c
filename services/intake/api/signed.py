"""The HTTP side of portal requests: a bounded body, its signature, then its parsing.

The signature covers the raw bytes, so the body is read once, verified, and only then parsed
(as JSON, or as multipart with files) by the same code the Kafka ingress uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.types import Message

from services.intake.api.deps import Deps
from services.intake.domain import DecodedDocument
from services.intake.parsing import JSON_PART, Part, parse_form, parse_json
from shared.portal.auth import SignatureRefused, verify

M = TypeVar("M", bound=BaseModel)
SIGNED_BODY_CEILING = 128 * 1024 * 1024
"""No configuration reads more on a route that takes documents (the configured dossier size,
Limits.max_body_bytes, is enforced below it as the body arrives)."""
MAX_PARTS = 60


@dataclass(frozen=True)
class SignedRequest:
    portal: str
    body: bytes
    content_type: str
    scope: Any


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it exceeds ``limit``."""
    too_large = HTTPException(413,
                              f"the request body exceeds {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def signed_request(request: Request, deps: Deps) -> SignedRequest:
    """FastAPI dependency: the portal that signed this request, or 401 saying why not."""
    body = await read_body(request, deps.limits.max_body_bytes)
    try:
        portal = verify(deps.portal_keys, request.headers, body, max_skew_s=deps.clock_skew_s)
    except SignatureRefused as refused:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(refused),
            headers={"WWW-Authenticate": "HMAC-SHA256 (X-Portal-Id, X-Timestamp, X-Signature)"},
        ) from refused
    return SignedRequest(portal, body, request.headers.get("content-type", ""), request.scope)


Signed = Annotated[SignedRequest, Depends(signed_request)]


async def parse_signed(model: type[M], signed: SignedRequest) -> tuple[M, list[DecodedDocument]]:
    """Raises SubmissionRefused (→ 422) or a 415 for a type that is neither JSON nor form."""
    media_type = signed.content_type.split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        fields, files = await _form(signed)
        return parse_form(model, fields, files)
    if media_type in {"application/json", ""}:
        return parse_json(model, signed.body)
    raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        "send application/json, or multipart/form-data with a 'json' part")


async def _form(signed: SignedRequest) -> tuple[dict[str, str], dict[str, Part]]:
    async def replay() -> Message:
        return {"type": "http.request", "body": signed.body, "more_body": False}

    form = await Request(signed.scope, replay).form(max_files=MAX_PARTS, max_fields=MAX_PARTS)
    fields: dict[str, str] = {}
    files: dict[str, Part] = {}
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[name] = Part(value.filename, value.content_type, await value.read())
            else:
                fields[name] = value
    finally:
        await form.close()
    if JSON_PART not in fields and JSON_PART in files:  # curl -F json=@file.json sends a file
        fields[JSON_PART] = files.pop(JSON_PART).content.decode("utf-8", "replace")
    return fields, files
