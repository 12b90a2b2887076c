"""Intake's SQL about dossiers. Every function takes the connection of the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from shared.contracts.events import DossierSubmitted, Envelope

_RECEIPT = "code, status, received_at, due_date, statutory_due_date, catalog_version"


async def take_dossier_codes(conn: asyncpg.Connection,
                             dossiers: Sequence[tuple[uuid.UUID, str, date]]
                             ) -> dict[uuid.UUID, str]:
    """Give each ``(dossier id, agency code, business day)`` its code: the agency's next
    numbers of the day, in the order given (``domain.dossier_code``'s format). One statement
    per agency and day, taken in a fixed order so two writers cannot deadlock. Run it last
    before COMMIT: the counter row stays locked until the commit and every intake of the
    agency queues behind it. A rollback gives the numbers back."""
    lots: dict[tuple[str, date], list[uuid.UUID]] = {}
    for dossier_id, agency_code, day in dossiers:
        lots.setdefault((agency_code, day), []).append(dossier_id)
    codes: dict[uuid.UUID, str] = {}
    for (agency_code, day), ids in sorted(lots.items()):
        rows = await conn.fetch(
            """WITH lot AS (
                   INSERT INTO dossier_code_counter AS c (agency_code, business_date, last_number)
                   VALUES ($2, $3, cardinality($1::uuid[]))
                   ON CONFLICT (agency_code, business_date)
                   DO UPDATE SET last_number = c.last_number + cardinality($1::uuid[])
                   RETURNING last_number - cardinality($1::uuid[]) AS before),
               numbered AS (
                   SELECT d.id, (lot.before + d.n)::text AS number
                   FROM lot, unnest($1::uuid[]) WITH ORDINALITY AS d(id, n))
               UPDATE dossier SET code = $4 || lpad(numbered.number,
                                                    greatest(4, length(numbered.number)), '0')
               FROM numbered WHERE dossier.id = numbered.id
               RETURNING dossier.id, dossier.code""",
            ids,
            agency_code,
            day,
            f"{agency_code}-{day:%y%m%d}-",
        )
        codes.update((row["id"], row["code"]) for row in rows)
    return codes


async def find_by_submission(
    conn: asyncpg.Connection, portal: str, submission_id: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_RECEIPT}, request_sha256 FROM dossier
            WHERE portal = $1 AND portal_submission_id = $2""",  # noqa: S608 - constant
        portal,
        submission_id,
    )


async def insert_dossiers(
    conn: asyncpg.Connection, dossiers: Sequence[tuple[DossierSubmitted, uuid.UUID, str]]
) -> None:
    """Insert ``(event, dossier id, request fingerprint)`` dossiers with their documents."""
    await conn.executemany(
        """INSERT INTO dossier (id, code, portal, portal_submission_id, request_sha256,
               procedure_code, department_code, catalog_version, applicant, return_method,
               postal_address, fee, status, received_at, due_date, statutory_due_date,
               channel, submitted_by)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)""",
        [(dossier_id, event.dossier_code, event.portal, event.portal_submission_id,
          request_sha256, event.procedure_code, event.department_code, event.catalog_version,
          event.applicant.model_dump(), event.return_method,
          event.postal_address.model_dump_json() if isinstance(event.postal_address, BaseModel)
          else event.postal_address, event.fee,
          event.status.value, event.received_at, event.due_date, event.statutory_due_date,
          event.channel,
          event.submitted_by.model_dump() if event.submitted_by else {"kind": "citizen"})
         for event, dossier_id, request_sha256 in dossiers],
    )
    await conn.executemany(
        """INSERT INTO dossier_document
               (dossier_id, position, kind, filename, content_type, size, sha256)
           VALUES ($1,$2,$3,$4,$5,$6,$7)""",
        [(dossier_id, i, d.kind, d.filename, d.content_type, d.size, d.sha256)
         for event, dossier_id, _ in dossiers for i, d in enumerate(event.documents)],
    )


async def add_registrations_to_timeline(
    conn: asyncpg.Connection,
    entries: Sequence[tuple[uuid.UUID, uuid.UUID, datetime, str, str, str, dict[str, Any]]],
) -> None:
    """The first timeline entry of dossiers just inserted (with that status already):
    ``(event_id, dossier_id, occurred_at, event_type, producer, status, detail)``."""
    await conn.executemany(
        """INSERT INTO dossier_timeline
               (event_id, dossier_id, occurred_at, event_type, producer, status, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        entries,
    )


async def add_to_timeline(conn: asyncpg.Connection, envelope: Envelope, status: str | None,
                          detail: dict[str, Any], due_date: date | None = None) -> bool:
    """Append an event to the dossier's timeline, moving its status and committed due date;
    False when the event was already there or the dossier is unknown. One round trip: every
    event of every dossier passes here (issue 6)."""
    inserted = await conn.fetchval(
        """WITH entry AS (
               INSERT INTO dossier_timeline
                   (event_id, dossier_id, occurred_at, event_type, producer, status, detail)
               SELECT $1, id, $3, $4, $5, $6, $7 FROM dossier WHERE id = $2
               ON CONFLICT (event_id) DO NOTHING
               RETURNING dossier_id),
           moved AS (
               UPDATE dossier SET status = coalesce($6, status),
                   due_date = coalesce($8, due_date), updated_at = now()
               WHERE id IN (SELECT dossier_id FROM entry)
                 AND ($6::text IS NOT NULL OR $8::date IS NOT NULL))
           SELECT EXISTS (SELECT FROM entry)""",
        envelope.event_id,
        envelope.dossier_id,
        envelope.occurred_at,
        envelope.event_type,
        envelope.producer,
        status,
        detail,
        due_date,
    )
    return bool(inserted)


async def get_dossier(conn: asyncpg.Connection, code: str,
                      *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(
        f"""SELECT id, code, portal, procedure_code, department_code, catalog_version, channel,
                   status, received_at, due_date, statutory_due_date, return_method,
                   submitted_by, withdrawal_requested_at, applicant->>'phone' AS applicant_phone
            FROM dossier WHERE code = $1{lock}""",  # noqa: S608 - constant fragments only
        code,
    )


async def get_timeline(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT occurred_at, event_type, producer, status, detail, seq, entry_hash
           FROM dossier_timeline WHERE dossier_id = $1 ORDER BY occurred_at, event_id""",
        dossier_id,
    )


def audit_head(timeline: Sequence[asyncpg.Record]) -> str | None:
    """The hash at the head of the dossier's audit chain (its latest entry's)."""
    return max(timeline, key=lambda t: t["seq"])["entry_hash"] if timeline else None


async def find_document(conn: asyncpg.Connection, dossier_id: uuid.UUID,
                        sha256: str) -> asyncpg.Record | None:
    """The name and type a document of the dossier was received under, or None."""
    return await conn.fetchrow(
        """SELECT filename, content_type FROM dossier_document
           WHERE dossier_id = $1 AND sha256 = $2
           UNION ALL
           SELECT d->>'filename', d->>'content_type'
           FROM dossier_supplement s, jsonb_array_elements(s.documents) d
           WHERE s.dossier_id = $1 AND d->>'sha256' = $2
           LIMIT 1""",
        dossier_id,
        sha256,
    )


# --- The portal's requests on a registered dossier: supplements and withdrawal ----------------


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


# --- Shared counters: the public tracking limits ----------------------------------------------


async def hit_rate_window(conn: asyncpg.Connection, key: str, window_start: datetime,
                          expires_at: datetime) -> int:
    """Count one hit of ``key`` in its window; the window's hits so far, this one included."""
    hits: int = await conn.fetchval(
        """INSERT INTO rate_limit_window AS w (key, window_start, hits, expires_at)
           VALUES ($1, $2, 1, $3)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = w.hits + 1
           RETURNING hits""",
        key, window_start, expires_at,
    )
    return hits


async def forget_rate_windows(conn: asyncpg.Connection, before: datetime) -> int:
    """Drop the windows that ended before ``before``; how many."""
    deleted = await conn.execute("DELETE FROM rate_limit_window WHERE expires_at < $1", before)
    return int(deleted.split()[-1])


# --- Issue 13: the citizen's proof, the rating, and what the printed forms say ---------------


async def citizen_secret(conn: asyncpg.Connection, code: str) -> str | None:
    """The secret printed on the dossier's receipt; None for an unknown code."""
    secret: str | None = await conn.fetchval(
        "SELECT citizen_secret FROM dossier WHERE code = $1", code)
    return secret


async def insert_rating(conn: asyncpg.Connection, *, dossier_id: uuid.UUID,
                        event_id: uuid.UUID, rating: str, comment: str | None,
                        rated_at: datetime, rated_via: str) -> bool:
    """Record the dossier's rating; False when it was rated before."""
    inserted = await conn.fetchval(
        """INSERT INTO dossier_rating (dossier_id, event_id, rating, comment, rated_at, rated_via)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id) DO NOTHING
           RETURNING true""",
        dossier_id, event_id, rating, comment, rated_at, rated_via)
    return bool(inserted)


async def get_rating(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT rating, comment, rated_at FROM dossier_rating WHERE dossier_id = $1",
        dossier_id)


async def dossier_for_forms(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """Everything a printed form of the dossier shows, personal data included (a form goes
    to the applicant only)."""
    return await conn.fetchrow(
        """SELECT d.id, d.code, d.portal, d.procedure_code, d.department_code,
                  d.catalog_version, d.status, d.received_at, d.due_date,
                  d.statutory_due_date, d.return_method, d.postal_address, d.submitted_by,
                  d.applicant->>'full_name' AS applicant_name, d.citizen_secret,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('kind', x.kind,
                                                                'filename', x.filename)
                                             ORDER BY x.position)
                            FROM dossier_document x WHERE x.dossier_id = d.id),
                           '[]'::jsonb) AS documents
           FROM dossier d WHERE d.code = $1""",
        code)
