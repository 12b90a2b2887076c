"""SQL of the portal's requests on a registered dossier: supplements and withdrawal."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg


async def open_supplement_request(conn: asyncpg.Connection,
                                  dossier_id: uuid.UUID) -> asyncpg.Record | None:
    """The latest supplement request in the dossier's timeline (event id and detail)."""
    return await conn.fetchrow(
        """SELECT event_id, detail FROM dossier_timeline
           WHERE dossier_id = $1 AND event_type = 'SupplementRequested'
           ORDER BY occurred_at DESC, event_id DESC LIMIT 1""",
        dossier_id,
    )


async def supplement_answering(conn: asyncpg.Connection,
                               request_event_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT request_sha256, provided_at, documents FROM dossier_supplement
           WHERE answers_event_id = $1""",
        request_event_id,
    )


async def insert_supplement(conn: asyncpg.Connection, *, dossier_id: uuid.UUID,
                            answers_event_id: uuid.UUID, event_id: uuid.UUID,
                            request_sha256: str, provided_at: datetime,
                            documents: list[dict[str, Any]]) -> None:
    await conn.execute(
        """INSERT INTO dossier_supplement
               (answers_event_id, dossier_id, event_id, request_sha256, provided_at, documents)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        answers_event_id, dossier_id, event_id, request_sha256, provided_at, documents,
    )


async def mark_withdrawal_requested(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                                    requested_at: datetime, event_id: uuid.UUID) -> None:
    await conn.execute(
        """UPDATE dossier SET withdrawal_requested_at = $2, withdrawal_event_id = $3,
               updated_at = now() WHERE id = $1""",
        dossier_id, requested_at, event_id,
    )
