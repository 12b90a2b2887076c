"""A build's events and dossier facts: record an event once, fold its dossier again, and
read the facts the indicators count. Each statement names its build's schema through
:func:`_in`, which accepts only our own schema names (builds.checked)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date

import asyncpg

from services.reporting.domain.facts import DossierFacts, Recorded, fold
from services.reporting.repository.builds import checked
from shared.contracts.events import Envelope

_RECORD = """INSERT INTO {s}.event (event_id, dossier_id, event_type, occurred_at, payload)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING seq"""
_RECORD_DIRTY = """WITH recorded AS (
    INSERT INTO {s}.event (event_id, dossier_id, event_type, occurred_at, payload)
    VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING dossier_id)
    INSERT INTO {s}.dirty (dossier_id) SELECT dossier_id FROM recorded
    ON CONFLICT DO NOTHING RETURNING dossier_id"""
_TAKE_DIRTY = """DELETE FROM {s}.dirty WHERE dossier_id IN (
    SELECT dossier_id FROM {s}.dirty LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING dossier_id"""
_COPY_MISSING = """INSERT INTO {t}.event (event_id, dossier_id, event_type, occurred_at, payload)
    SELECT event_id, dossier_id, event_type, occurred_at, payload FROM {s}.event s
    WHERE NOT EXISTS (SELECT 1 FROM {t}.event t WHERE t.event_id = s.event_id)
    ORDER BY s.seq RETURNING dossier_id"""
_EVENTS_OF = """SELECT seq, event_id, dossier_id, event_type, occurred_at, payload
    FROM {s}.event WHERE dossier_id = ANY($1::uuid[])"""
_UPSERT = """INSERT INTO {s}.dossier (dossier_id, code, agency, department, procedure,
    received_on, facts) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (dossier_id) DO UPDATE SET code = EXCLUDED.code, agency = EXCLUDED.agency,
    department = EXCLUDED.department, procedure = EXCLUDED.procedure,
    received_on = EXCLUDED.received_on, facts = EXCLUDED.facts"""
# The filters are fixed column names; only their values are parameters.
_LOAD = """SELECT facts FROM {s}.dossier
    WHERE ($1::text IS NULL OR agency = $1) AND ($2::text IS NULL OR department = $2)
      AND ($3::text IS NULL OR procedure = $3)
      AND ($4::date IS NULL OR received_on IS NULL OR received_on <= $4::date + 1)"""
_COUNT = "SELECT count(*) FROM {s}.event"


def _in(template: str, s: str, t: str | None = None) -> str:
    return template.format(s=checked(s), t=checked(t) if t else "")


async def record(conn: asyncpg.Connection, schema: str, envelope: Envelope, *,
                 dirty: bool = True) -> bool:
    """Store the event in ``schema`` (personal data removed) and, with ``dirty``, mark its
    dossier to be folded again; False when the event is there already. (A dossier already
    marked answers False too: the event is stored, its fold pending.)"""
    stored = Recorded.of(envelope)
    seq = await conn.fetchval(_in(_RECORD_DIRTY if dirty else _RECORD, schema),
                              envelope.event_id, envelope.dossier_id, envelope.event_type,
                              envelope.occurred_at, stored.payload)
    return seq is not None


async def fold_dirty(conn: asyncpg.Connection, schema: str, limit: int = 500) -> int:
    """Fold up to ``limit`` marked dossiers again (in the caller's transaction); how many."""
    ids = [r["dossier_id"] for r in await conn.fetch(_in(_TAKE_DIRTY, schema), limit)]
    await refold(conn, schema, ids)
    return len(ids)


async def copy_missing(conn: asyncpg.Connection, source: str, target: str) -> set[uuid.UUID]:
    """Events in ``source`` that ``target`` lacks, copied in ``source``'s order; their dossiers."""
    rows = await conn.fetch(_in(_COPY_MISSING, source, target))
    return {r["dossier_id"] for r in rows}


async def refold(conn: asyncpg.Connection, schema: str, dossier_ids: Iterable[uuid.UUID]) -> None:
    """Fold each dossier's facts again from all its events in ``schema``."""
    ids = sorted(set(dossier_ids))
    if not ids:
        return
    events: dict[uuid.UUID, list[Recorded]] = {i: [] for i in ids}
    for r in await conn.fetch(_in(_EVENTS_OF, schema), ids):
        events[r["dossier_id"]].append(Recorded(r["seq"], r["event_id"], r["event_type"],
                                                r["occurred_at"], r["payload"]))
    folded = [fold(i, events[i]) for i in ids]
    await conn.executemany(_in(_UPSERT, schema), [
        (f.dossier_id, f.code, f.agency, f.department, f.procedure,
         f.received_at.date() if f.received_at else None, f.as_json()) for f in folded])


async def load(conn: asyncpg.Connection | asyncpg.Pool, schema: str, *,
               agency: str | None = None, department: str | None = None,
               procedure: str | None = None, received_by: date | None = None
               ) -> list[DossierFacts]:
    """The facts of the dossiers the filters select (received by ``received_by``, when given,
    a day of margin for the time zone; the indicators select the period exactly)."""
    rows: Sequence[asyncpg.Record] = await conn.fetch(
        _in(_LOAD, schema), agency, department, procedure, received_by)
    return [DossierFacts.from_json(r["facts"]) for r in rows]


async def event_count(conn: asyncpg.Connection | asyncpg.Pool, schema: str) -> int:
    return int(await conn.fetchval(_in(_COUNT, schema)))
