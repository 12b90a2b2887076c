"""Documents live outside Kafka, content-addressed by SHA-256; events carry references.

Two stores keep the same contract (tests/integration/intake/test_intake_documents.py runs one
suite against both): a local folder by default, or an S3-compatible bucket (``document_s3``).
A store only keeps bytes; which of them a dossier references, and which were staged for a
submission that never committed, is intake's database's to say (handlers/storage.py).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol

from services.intake.blobs import Blob


class DocumentNotFound(LookupError):
    def __init__(self, sha256: str) -> None:
        super().__init__(f"document {sha256} is not in the store")


class DocumentStore(Protocol):
    async def put(self, content: Blob) -> str:
        """Store ``content``; return its SHA-256 (hex), which is its address."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The content stored at ``sha256``, or :class:`DocumentNotFound`."""
        ...

    async def delete(self, sha256: str) -> None:
        """Forget ``sha256`` (nothing happens when it is not there)."""
        ...


class LocalDocumentStore:
    """A folder of files named by their SHA-256: storing the same bytes twice is free."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, sha256: str) -> Path:
        return self._root / sha256[:2] / sha256

    async def put(self, content: Blob) -> str:
        await asyncio.to_thread(self._write, content)
        return content.sha256

    def _write(self, content: Blob) -> None:
        target = self._path(content.sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed, so a reader never sees half a document; flushed to
        # disk (the file, then the folder's entry) before the dossier that cites it commits,
        # so a power cut cannot keep the dossier and lose its document.
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            for chunk in content.chunks():
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    async def get(self, sha256: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(sha256).read_bytes)
        except FileNotFoundError:
            raise DocumentNotFound(sha256) from None

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self._path(sha256).unlink, missing_ok=True)
