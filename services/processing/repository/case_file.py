"""The console's read model (migration 0005): applicant and submitter, documents, and what
payment, postal and notification report about a dossier."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.contracts.events import DocumentRef


async def record_file(conn: asyncpg.Connection, dossier_id: uuid.UUID, applicant: dict,
                      submitted_by: dict | None, postal_address: str | None, channel: str
                      ) -> None:
    await conn.execute(
        """INSERT INTO case_file (dossier_id, applicant, submitted_by, postal_address, channel)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dossier_id) DO NOTHING""",
        dossier_id, applicant, submitted_by, postal_address, channel)


async def record_documents(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                           documents: tuple[DocumentRef, ...], source: str, at: datetime
                           ) -> None:
    if not documents:
        return
    await conn.executemany(
        """INSERT INTO case_document (dossier_id, sha256, kind, filename, content_type, size,
                                      source, added_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING""",
        [(dossier_id, d.sha256.lower(), d.kind, d.filename, d.content_type, d.size, source, at)
         for d in documents])


async def record_activity(conn: asyncpg.Connection, event_id: uuid.UUID,
                          dossier_id: uuid.UUID, kind: str, subject: str, status: str,
                          at: datetime, detail: dict[str, Any]) -> None:
    """``detail`` holds JSON values only (the pool's codec encodes it)."""
    await conn.execute(
        """INSERT INTO case_activity (event_id, dossier_id, kind, subject, status, at, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING""",
        event_id, dossier_id, kind, subject, status, at, detail)


async def file_of(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT applicant, submitted_by, postal_address, channel FROM case_file "
        "WHERE dossier_id = $1", dossier_id)


async def documents_of(conn: asyncpg.Connection, dossier_id: uuid.UUID
                       ) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT sha256, kind, filename, content_type, size, source, added_at
           FROM case_document WHERE dossier_id = $1 ORDER BY added_at, kind, filename""",
        dossier_id)


async def document_of(conn: asyncpg.Connection, dossier_id: uuid.UUID, sha256: str
                      ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT filename, content_type, size FROM case_document "
        "WHERE dossier_id = $1 AND sha256 = $2", dossier_id, sha256)


async def activity_of(conn: asyncpg.Connection, dossier_id: uuid.UUID
                      ) -> list[asyncpg.Record]:
    """Every reported event, oldest first (the last of a subject is its state now)."""
    return await conn.fetch(
        """SELECT kind, subject, status, at, detail FROM case_activity
           WHERE dossier_id = $1 ORDER BY at, event_id""", dossier_id)
