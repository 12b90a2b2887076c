"""The result document an approval carries, as it is stored: one per dossier, never replaced.
Events carry only its reference (:class:`~shared.contracts.events.DocumentRef`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from functools import cached_property

from services.processing.domain.errors import InvalidAction
from shared.contracts.events import DocumentRef

MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ResultFile:
    filename: str
    content_type: str
    content: bytes

    @classmethod
    def decode(cls, filename: str, content_type: str, content_base64: str) -> ResultFile:
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidAction("result_document.content_base64: not valid base64") from None
        if not content or len(content) > MAX_BYTES:
            raise InvalidAction(f"result_document: {len(content)} bytes; it must have 1 to "
                                f"{MAX_BYTES} bytes")
        return cls(filename, content_type, content)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def ref(self) -> DocumentRef:
        return DocumentRef(kind="ket_qua", filename=self.filename,
                           content_type=self.content_type, size=len(self.content),
                           sha256=self.sha256)
