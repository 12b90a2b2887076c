"""What a document is, from its first bytes and its name (no I/O).

The three types the catalog accepts are told by their signatures (PDF ``%PDF-``, PNG, JPEG
SOI): three byte strings, so no library (python-magic needs libmagic and recognises far more
than intake accepts; the small pure-Python ones add a dependency for three constants). A type
without a signature here cannot be accepted: intake refuses to start when the catalog lists
one (bootstrap.check_catalog).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from pydantic import TypeAdapter, ValidationError

from services.intake.schemas import Filename

SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", "a PDF"),
    "image/png": (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    "image/jpeg": (b"\xff\xd8\xff", "a JPEG image"),
}
HEAD_BYTES = max(len(signature) for signature, _ in SIGNATURES.values())
_FILENAME = TypeAdapter(Filename)


def content_problem(content_type: str, head: bytes) -> str | None:
    """Why content starting with ``head`` is not of ``content_type``; None when it is."""
    signature, name = SIGNATURES.get(content_type, (None, content_type))
    if signature is None:
        return f"intake cannot check content of type {content_type!r}"
    if not head.startswith(signature):
        return f"the content is not {name} (its first bytes say otherwise)"
    return None


def safe_filename(raw: str) -> str:
    """The name kept and served back: the last component of ``raw`` (a browser may send a
    path), NFC, without leading dots; ValueError when it holds control or bidi characters,
    exceeds 255 characters, or nothing is left."""
    try:
        checked: str = _FILENAME.validate_python(raw)
    except ValidationError as error:
        raise ValueError("filename: " + error.errors()[0]["msg"].removeprefix(
            "Value error, ").replace("String should have", "must have")) from None
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", checked))[-1].strip().lstrip(". ")
    if not name:
        raise ValueError(f"filename: no file name left once its path is dropped ({raw[:40]!r})")
    return name


def attachment(filename: str) -> str:
    """A Content-Disposition that downloads, never displays, under a name no header can
    break: an ASCII fallback, and the exact name in RFC 5987 form."""
    fallback = re.sub(r'[^A-Za-z0-9._ -]', "_", filename) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
