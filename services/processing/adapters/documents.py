"""Citizens' documents as officers open them: read from the document store intake writes.

Events carry only a document's reference (:class:`~shared.contracts.events.DocumentRef`);
its bytes live in a store addressed by SHA-256, a folder of ``<sha[:2]>/<sha>`` files
(intake's ``INTAKE_DOCUMENT_DIR``). Processing only reads it, and reads a document only
when its own read model lists it for the officer's dossier; the content is checked against
its address, so a file changed on disk is refused rather than shown.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DocumentUnavailable(LookupError):
    """The store has no such document, or not the bytes its address promises."""


class LocalDocuments:
    def __init__(self, root: Path) -> None:
        self._root = root

    async def get(self, sha256: str) -> bytes:
        if not _SHA256.match(sha256):
            raise DocumentUnavailable(f"not a SHA-256: {sha256[:70]!r}")
        try:
            content = await asyncio.to_thread((self._root / sha256[:2] / sha256).read_bytes)
        except FileNotFoundError:
            raise DocumentUnavailable(f"document {sha256} is not in the store") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise DocumentUnavailable(f"document {sha256} does not match its address")
        return content
