"""How much of a request intake reads, and when: every route has a body limit, and a large
upload holds one of its portal's few upload slots while it is read and stored.

A limit is checked against ``Content-Length`` before anything is read (413), and again while
the body streams into a spooled temporary file (a chunked body has no length to trust).
Routes without a body accept at most ``SMALL_BODY`` bytes; nothing reads them anyway, and
uvicorn stops reading a socket whose body nobody asks for.

Slots are counted per portal and per process: a portal past its slots gets 429 with
Retry-After at once, rather than a wait, because a waiting upload still holds its connection
and its socket buffers, and a queue of them is what the limit is there to prevent. Portals
are machines that retry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException, Request, status

from services.intake.blobs import Blob

SMALL_BODY = 16 * 1024
"""A body without documents (a withdrawal's reason, a signed GET's empty body)."""


def _too_large(limit: int) -> HTTPException:
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE,
                         f"the request body exceeds {limit} bytes, this route's limit")


def declared_length(request: Request) -> int | None:
    """``Content-Length`` as sent; None when absent (chunked). A malformed one is a 400."""
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 15:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Content-Length: not a byte count")
    return int(value)


def check_declared(request: Request, limit: int) -> int | None:
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    return declared


async def small_body(request: Request) -> None:
    """Router dependency of the routes that take no body."""
    check_declared(request, SMALL_BODY)


async def read_body(request: Request, limit: int, *sinks: object) -> Blob:
    """The body in a blob, refused with 413 as soon as it exceeds ``limit``; each chunk is
    also given to every ``sink`` (``update(chunk)``: the signature's running HMAC)."""
    blob, size = Blob(), 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            blob.write(chunk)
            for sink in sinks:
                sink.update(chunk)  # type: ignore[attr-defined]
    except BaseException:
        blob.close()
        raise
    return blob


class UploadSlots:
    def __init__(self, per_portal: int, large_bytes: int) -> None:
        self.per_portal, self.large_bytes = per_portal, large_bytes
        self._busy: Counter[str] = Counter()

    @asynccontextmanager
    async def hold(self, portal: str, declared: int | None) -> AsyncIterator[None]:
        """A slot for a large body (``declared`` above the threshold, or unknown)."""
        if declared is not None and declared <= self.large_bytes:
            yield
            return
        if self._busy[portal] >= self.per_portal:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"portal {portal!r} already has {self.per_portal} large uploads in flight here",
                headers={"Retry-After": "1"})
        self._busy[portal] += 1
        try:
            yield
        finally:
            self._busy[portal] -= 1
