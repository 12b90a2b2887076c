"""From the bytes a portal sent (JSON, or multipart with files) to a command and documents.

HTTP and Kafka share this, so a submission is judged the same whichever way it came. Errors
become reasons naming the field, never echoing the value (it may be an identity number).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from services.intake.blobs import Blob
from services.intake.content import safe_filename
from services.intake.domain import DecodedDocument, SubmissionRefused
from services.intake.schemas import DocumentIn

M = TypeVar("M", bound=BaseModel)
JSON_PART = "json"  # multipart: the part holding the JSON body (documents name their part)


class Unreadable(SubmissionRefused):
    """Not even JSON: nothing in it can be trusted to say who should hear about it."""


@dataclass(frozen=True)
class Part:
    """A file part of a multipart upload."""

    filename: str | None
    content_type: str | None
    content: Blob


def reasons_of(error: ValidationError) -> list[str]:
    return [f"{_location(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in error.errors(include_input=False, include_url=False)]


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "body"


def _json(text: bytes | str) -> object:
    """pydantic's JSON parser, not the standard one: it refuses lone surrogates (which no UTF-8
    encoder, PostgreSQL's included, can write) and nesting past 200 levels (the standard one
    recurses until RecursionError), each with a message saying where."""
    return from_json(text, cache_strings="keys")


def parse_json(model: type[M], body: bytes) -> tuple[M, list[DecodedDocument]]:
    try:
        data = _json(body)
    except ValueError as error:
        raise Unreadable([f"body: not valid JSON ({error})"]) from error
    if not isinstance(data, dict):
        raise Unreadable(["body: expected a JSON object"])
    return _validated(model, data, {})


def parse_form(model: type[M], fields: Mapping[str, str],
               files: Mapping[str, Part]) -> tuple[M, list[DecodedDocument]]:
    if JSON_PART not in fields:
        raise SubmissionRefused([f"multipart: a part named {JSON_PART!r} must hold the JSON body"])
    try:
        data = _json(fields[JSON_PART])
    except ValueError as error:
        raise SubmissionRefused([f"{JSON_PART}: not valid JSON ({error})"]) from error
    if not isinstance(data, dict):
        raise SubmissionRefused([f"{JSON_PART}: expected a JSON object"])
    return _validated(model, data, files)


def _validated(model: type[M], data: dict, files: Mapping[str, Part]
               ) -> tuple[M, list[DecodedDocument]]:
    try:
        command = model.model_validate(data)
    except ValidationError as error:
        raise SubmissionRefused(reasons_of(error)) from error
    documents: list[DocumentIn] = getattr(command, "documents", [])
    decoded, reasons = [], []
    for index, doc in enumerate(documents):
        try:
            decoded.append(_decode(doc, files))
        except ValueError as problem:
            reasons.append(f"documents[{index}] ({doc.kind}): {problem}")
    if reasons:
        raise SubmissionRefused(reasons)
    return command, decoded


def _decode(doc: DocumentIn, files: Mapping[str, Part]) -> DecodedDocument:
    if doc.part is not None and files:
        part = files.get(doc.part)
        if part is None:
            raise ValueError(f"no file part named {doc.part!r} in the upload")
        content, filename, content_type = part.content, part.filename, part.content_type
    elif doc.content_base64 is not None:
        try:
            content = Blob.of(base64.b64decode(re.sub(r"\s+", "", doc.content_base64),
                                               validate=True))
        except (binascii.Error, ValueError):
            raise ValueError("content_base64 is not valid base64") from None
        filename, content_type = None, None
    elif doc.part is not None:
        raise ValueError("'part' names a file of a multipart upload; in JSON use content_base64")
    else:
        raise ValueError("give the content: content_base64, or part in a multipart upload")
    filename = doc.filename or filename
    content_type = doc.content_type or content_type
    if not filename or not content_type:
        raise ValueError("filename and content_type are required")
    return DecodedDocument(doc.kind, safe_filename(filename),
                           content_type.split(";")[0].strip().lower(), content, doc.sha256)
