"""Documents are written before the dossier that cites them commits (a commit cannot wait on
a disk or a bucket), so a failure in between would leave bytes nobody references.

Each document is first *leased* in intake's database (its own short transaction), then
written; the dossier's transaction *keeps* it. A lease left unkept for
``INTAKE_STAGED_DOCUMENT_GRACE_S`` belonged to a submission that failed: the sweeper deletes
the bytes, then the lease. A submission leasing the same bytes meanwhile waits on the
sweeper's row lock and writes them again; one whose lease was swept (it took longer than the
grace) fails at keep time rather than commit a dossier without its document.

Each portal's accepted bytes are counted per business day against
``INTAKE_PORTAL_DAILY_QUOTA_BYTES``: checked before anything is written, and exactly at commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import asyncpg
import structlog

from services.intake import repository_storage as storage
from services.intake.deps import IntakeDeps
from services.intake.domain import DecodedDocument, QuotaExceeded, StagingExpired
from services.intake.repository import forget_rate_windows
from shared.contracts.events import DocumentRef

log = structlog.get_logger(__name__)


async def stage(portal: str, day: date, documents: Sequence[DecodedDocument],
                deps: IntakeDeps, *, now: datetime) -> list[DocumentRef]:
    """Check the portal's quota, lease the documents, write them; their references."""
    total = sum(d.size for d in documents)
    async with deps.pool.acquire() as conn:
        _within_quota(await storage.portal_bytes(conn, portal, day) + total, deps)
        await storage.lease_documents(conn, list({d.sha256: d.size for d in documents}.items()),
                                      now)
    return [DocumentRef(kind=d.kind, filename=d.filename, content_type=d.content_type,
                        size=d.size, sha256=await deps.documents.put(d.content))
            for d in documents]


async def keep(conn: asyncpg.Connection,
               documents: Mapping[tuple[str, date], Iterable[DocumentRef]],
               deps: IntakeDeps) -> None:
    """In the dossiers' transaction: their documents are kept, and each portal's day
    ``(portal, business day)`` counts its own."""
    lots = {key: list(refs) for key, refs in documents.items() if refs}
    wanted = {r.sha256 for refs in lots.values() for r in refs}
    if not wanted:
        return
    if await storage.keep_documents(conn, sorted(wanted)) < len(wanted):
        raise StagingExpired("a document's lease expired before its dossier committed")
    for (portal, day), refs in sorted(lots.items()):
        _within_quota(await storage.add_portal_bytes(conn, portal, day,
                                                     sum(r.size for r in refs)), deps)


def _within_quota(total: int, deps: IntakeDeps) -> None:
    if total > deps.portal_daily_quota_bytes:
        raise QuotaExceeded(
            f"the portal's documents would take {total} bytes today, over its quota of "
            f"{deps.portal_daily_quota_bytes} bytes a day (resets at 00:00, Asia/Ho_Chi_Minh)")


async def sweep_once(deps: IntakeDeps, *, now: datetime | None = None,
                     batch: int = 500) -> int:
    """Delete what was staged and never kept; forget finished rate windows. How many
    documents went."""
    now = now or datetime.now(UTC)
    swept = 0
    while True:
        async with deps.pool.acquire() as conn, conn.transaction():
            stale = await storage.stale_documents(
                conn, now - timedelta(seconds=deps.staged_document_grace_s), batch)
            for sha256 in stale:
                await deps.documents.delete(sha256)
            await storage.forget_documents(conn, stale)
        swept += len(stale)
        if len(stale) < batch:
            break
    async with deps.pool.acquire() as conn:
        await forget_rate_windows(conn, now)
    if swept:
        log.info("staged documents swept", count=swept)
    return swept


async def sweep_forever(deps: IntakeDeps) -> None:
    """The background job: a sweep every ``INTAKE_SWEEP_INTERVAL_S``; an error is logged and
    the next sweep tries again."""
    while True:
        try:
            await sweep_once(deps)
        except Exception as error:  # the next sweep retries; the service goes on
            log.warning("sweep failed", error=repr(error))
        await asyncio.sleep(deps.sweep_interval_s)
