"""Documents live outside Kafka, content-addressed by SHA-256; events carry references.

Two stores keep the same contract (tests/integration/test_intake_documents.py runs one suite
against both): a local folder by default, or an S3-compatible bucket (``document_s3``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class DocumentNotFound(LookupError):
    def __init__(self, sha256: str) -> None:
        super().__init__(f"document {sha256} is not in the store")


class DocumentStore(Protocol):
    async def put(self, content: bytes) -> str:
        """Store ``content``; return its SHA-256 (hex), which is its address."""
        ...

    async def get(self, sha256: str) -> bytes:
        """The content stored at ``sha256``, or :class:`DocumentNotFound`."""
        ...


class LocalDocumentStore:
    """A folder of files named by their SHA-256: storing the same bytes twice is free."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, sha256: str) -> Path:
        return self._root / sha256[:2] / sha256

    async def put(self, content: bytes) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        await asyncio.to_thread(self._write, sha256, content)
        return sha256

    def _write(self, sha256: str, content: bytes) -> None:
        target = self._path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed, so a reader never sees half a document; flushed to
        # disk (the file, then the folder's entry) before the dossier that cites it commits,
        # so a power cut cannot keep the dossier and lose its document.
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
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
