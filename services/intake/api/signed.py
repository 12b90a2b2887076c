"""The HTTP side of portal requests: who claims to send it, a bounded body, its signature,
then its parsing.

The headers are checked first (``signature.http_claim``): an unknown portal, a malformed or
stale timestamp, a missing or malformed nonce (a version 1 signature) or a malformed signature
is a 401 before one byte of the body is read. The body then streams into a spooled temporary
file while its SHA-256 runs over it, so a 50 MB upload never sits in memory; the string to sign
(method, path, query, timestamp, nonce, that digest: ``shared.portal.auth``) is then checked,
the nonce remembered (a replay is a 401), and only a verified body is parsed (as JSON, or as
multipart with files, by the code the Kafka ingress shares).
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request, status
from pydantic import BaseModel
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from services.intake.api.body import SMALL_BODY, check_declared, read_body
from services.intake.api.deps import Deps
from services.intake.api.signature import REPLAYED, http_claim, refused, remember_nonce
from services.intake.blobs import Blob
from services.intake.domain import DecodedDocument, SubmissionRefused
from services.intake.parsing import JSON_PART, Part, parse_form, parse_json
from shared.portal.auth import SignatureRefused, http_string_to_sign

M = TypeVar("M", bound=BaseModel)
SIGNED_BODY_CEILING = 128 * 1024 * 1024
"""No configuration reads more on a route that takes documents (the configured dossier size,
Limits.max_body_bytes, is enforced below it as the body arrives)."""
MAX_PARTS = 60
FORM_OVERHEAD = 1024 * 1024  # the JSON part and the parts' headers, beside the documents
@dataclass
class SignedRequest:
    portal: str
    body: Blob
    media_type: str
    scope: Any
    closers: list[Callable[[], Any]] = field(default_factory=list)


def signed_request(*, documents: bool) -> Callable[..., AsyncIterator[SignedRequest]]:
    """The FastAPI dependency of a signed route; ``documents``: its body may carry them (the
    dossier cap, multipart; or the JSON cap), else ``SMALL_BODY``."""

    async def dependency(request: Request, deps: Deps) -> AsyncIterator[SignedRequest]:
        claimed = http_claim(deps.portal_keys, request.headers, max_skew_s=deps.clock_skew_s)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        limit = SMALL_BODY if not documents else (
            deps.limits.max_dossier_bytes + FORM_OVERHEAD
            if media_type == "multipart/form-data" else deps.max_json_body_bytes)
        declared = check_declared(request, limit)
        async with deps.uploads.hold(claimed.portal, declared if documents else 0):
            digest = hashlib.sha256()
            body = await read_body(request, limit, digest)
            signed = SignedRequest(claimed.portal, body, media_type, request.scope,
                                   [body.close])
            try:
                text = http_string_to_sign(request.method, request.scope["path"],
                                           request.scope.get("query_string", b""),
                                           claimed.timestamp, claimed.nonce,
                                           digest.hexdigest())
                try:
                    claimed.check(deps.portal_keys, text)
                except SignatureRefused as refusal:
                    raise refused(str(refusal)) from None
                if not await remember_nonce(deps.pool, claimed):
                    raise refused(REPLAYED)
                yield signed
            finally:
                for close in signed.closers:
                    if inspect.isawaitable(closed := close()):
                        await closed

    return dependency


Signed = Annotated[SignedRequest, Depends(signed_request(documents=False))]
SignedUpload = Annotated[SignedRequest, Depends(signed_request(documents=True))]


async def parse_signed(model: type[M], signed: SignedRequest) -> tuple[M, list[DecodedDocument]]:
    """Raises SubmissionRefused (→ 422) or a 415 for a type that is neither JSON nor form."""
    if signed.media_type == "multipart/form-data":
        fields, files = await _form(signed)
        return parse_form(model, fields, files)
    if signed.media_type in {"application/json", ""}:
        return parse_json(model, signed.body.read())
    raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                        "send application/json, or multipart/form-data with a 'json' part")


async def _form(signed: SignedRequest) -> tuple[dict[str, str], dict[str, Part]]:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in signed.body.chunks():
            yield chunk

    parser = MultiPartParser(Headers(scope=signed.scope), stream(), max_files=MAX_PARTS,
                             max_fields=MAX_PARTS)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise SubmissionRefused([f"multipart: {error.message}"]) from None
    signed.closers.append(form.close)
    fields: dict[str, str] = {}
    files: dict[str, Part] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            files[name] = Part(value.filename, value.content_type, Blob.adopt(value.file))
        else:
            fields[name] = value
    if JSON_PART not in fields and JSON_PART in files:  # curl -F json=@file.json sends a file
        fields[JSON_PART] = files.pop(JSON_PART).content.read().decode("utf-8", "replace")
    return fields, files
