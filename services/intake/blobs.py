"""Bytes a portal sent, kept in a spooled temporary file instead of a ``bytes``.

A blob stays in memory up to ``SPOOL_BYTES`` and moves to an anonymous temporary file beyond
(unlinked at creation: a crash leaves nothing behind). Its size, SHA-256 and first bytes are
computed as it is written, so nothing reads a 20 MiB document whole to check it. Writes are
synchronous: the page cache takes them, and a chunk is at most a socket read.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

SPOOL_BYTES = 1024 * 1024
CHUNK_BYTES = 256 * 1024
HEAD_BYTES = 16


class Blob:
    def __init__(self, file: BinaryIO | None = None) -> None:
        self._file: BinaryIO = file or tempfile.SpooledTemporaryFile(
            max_size=SPOOL_BYTES)
        self._hash = hashlib.sha256()
        self.size = 0
        self.head = b""

    @classmethod
    def of(cls, content: bytes) -> Blob:
        blob = cls()
        blob.write(content)
        return blob

    @classmethod
    def adopt(cls, file: BinaryIO) -> Blob:
        """A blob of what ``file`` holds (read once to hash it, not copied)."""
        blob = cls(file)
        file.seek(0)
        while chunk := file.read(CHUNK_BYTES):
            blob._count(chunk)
        return blob

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._count(chunk)

    def _count(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head = (self.head + chunk[:HEAD_BYTES])[:HEAD_BYTES]
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def file(self) -> BinaryIO:
        """The content, from its start (for a store that reads a file object)."""
        self._file.seek(0)
        return self._file

    def chunks(self) -> Iterator[bytes]:
        file = self.file()
        while chunk := file.read(CHUNK_BYTES):
            yield chunk

    def read(self) -> bytes:
        """The whole content: only for what is known to be small (a JSON body)."""
        return self.file().read()

    def close(self) -> None:
        self._file.close()
