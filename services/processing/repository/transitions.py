"""Writing what a transition did, in one statement: the case row, its audit entries, its
outbox rows (as the unit of work emitted them) and an approval's result document."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from services.processing.domain.case import Case
from services.processing.domain.result_file import ResultFile
from services.processing.domain.trail import AuditEntry
from services.processing.repository.cases import COLUMNS, STATE, column_value
from services.processing.repository.queue import fold
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import OutboxRow

# What a transition writes besides the case row, as one statement's array parameters: the
# case row, its audit entries and its outbox rows go to PostgreSQL in one round trip, in one
# statement (atomic on its own, and inside the caller's transaction when there is one). The
# entries and events are inserted only when the case row was written: ``FROM written,
# unnest(...)`` yields nothing when it was not. ``ORDER BY n`` numbers them in the order the
# transition made them (the outbox relay publishes in id order).
#
# The audit chain's head as the statement leaves it (the hash of its last entry, which the
# database computes as the entries are inserted, or the dossier's head before when the
# transition wrote none) is published with the events of the same statement: an event whose
# contract has ``audit_head`` was serialised with ``"audit_head":null`` and gets the head in
# its place. A JSON string escapes every quote inside it, so that exact text can only be the
# event's own key; events without the field are left byte for byte as they were.
_AUDIT_AND_OUTBOX = """,
    audit AS (
        INSERT INTO case_audit (dossier_id, actor, actor_role, action, from_status, to_status,
                                reason, detail)
        SELECT written.id, a.actor, a.actor_role, a.action, a.from_status, a.to_status,
               a.reason, a.detail::jsonb
        FROM written, unnest({a}::text[], {b}::text[], {c}::text[], {d}::text[], {e}::text[],
                             {f}::text[], {g}::text[])
                      WITH ORDINALITY AS a(actor, actor_role, action, from_status, to_status,
                                           reason, detail, n)
        ORDER BY a.n
        RETURNING seq, entry_hash),
    head AS (
        SELECT coalesce((SELECT entry_hash FROM audit ORDER BY seq DESC LIMIT 1),
                        (SELECT c.entry_hash FROM case_audit c, written
                         WHERE c.dossier_id = written.id ORDER BY c.seq DESC LIMIT 1)) AS hash),
    outbox AS (
        INSERT INTO outbox_message (event_id, topic, key, payload, headers)
        SELECT o.event_id, o.topic, o.key,
               CASE WHEN head.hash IS NULL THEN o.payload
                    ELSE convert_to(replace(convert_from(o.payload, 'UTF8'),
                                            '"audit_head":null',
                                            '"audit_head":"' || head.hash || '"'), 'UTF8')
               END,
               o.headers::jsonb
        FROM written, head,
             unnest({h}::uuid[], {i}::text[], {j}::text[], {k}::bytea[], {l}::text[])
                      WITH ORDINALITY AS o(event_id, topic, key, payload, headers, n)
        ORDER BY o.n){document}
SELECT count(*) FROM written"""
_DOCUMENT = """,
    document AS (
        INSERT INTO result_document (dossier_id, filename, content_type, size, sha256, content)
        SELECT written.id, {m}, {n}, {o}, {p}, {q} FROM written)"""


def _with_trail(written: str, first: int, *, document: bool = False) -> str:
    """``written`` (a data-modifying statement returning ``id``) followed by the audit
    entries, the outbox rows and optionally the result document, their parameters numbered
    from ``first`` on."""
    names = iter(f"${i}" for i in range(first, first + 17))
    marks = dict(zip("abcdefghijklmnopq", names, strict=True))
    tail = _DOCUMENT.format(**marks) if document else ""
    return f"WITH written AS ({written})" + _AUDIT_AND_OUTBOX.format(**marks, document=tail)


_INSERT_NAMES = (*COLUMNS, "applicant_search")
_INSERT = _with_trail(
    f"""INSERT INTO dossier_case ({', '.join(_INSERT_NAMES)}, version)
        VALUES ({', '.join(f'${i}' for i in range(1, len(_INSERT_NAMES) + 1))}, 1)
        ON CONFLICT DO NOTHING RETURNING id""",  # noqa: S608 - constant names
    len(_INSERT_NAMES) + 1)
_UPDATE_SQL = f"""UPDATE dossier_case
        SET {', '.join(f'{c} = ${i}' for i, c in enumerate(STATE, start=3))},
            version = version + 1, updated_at = now()
        WHERE id = $1 AND version = $2 RETURNING id"""  # noqa: S608 - constant names
_UPDATE = _with_trail(_UPDATE_SQL, len(STATE) + 3)
_UPDATE_WITH_DOCUMENT = _with_trail(_UPDATE_SQL, len(STATE) + 3, document=True)


def _trail(entries: list[AuditEntry], outbox: list[OutboxRow]) -> list[Any]:
    """The audit entries and outbox rows as the statement's twelve array parameters."""
    columns: list[list[Any]] = [[] for _ in range(12)]
    for e in entries:
        for column, value in zip(columns[:7], (
                e.actor.name, e.actor.role.value if e.actor.role else None, str(e.action),
                e.from_status.value if e.from_status else None, e.to_status.value, e.reason,
                json.dumps(e.detail)), strict=True):
            column.append(value)
    for event_id, topic, key, payload, headers in outbox:
        for column, value in zip(columns[7:], (event_id, topic, key, payload,
                                               json.dumps(headers)), strict=True):
            column.append(value)
    return columns


async def insert(conn: asyncpg.Connection, case: Case, outbox: list[OutboxRow]) -> bool:
    """Insert a new case at version 1 with its audit entries and outbox rows, in one
    statement; False (and nothing written) if it already exists."""
    values = [column_value(case, c) for c in COLUMNS] + [fold(case.applicant_name)]
    if await conn.fetchval(_INSERT, *values, *_trail(case.audit, outbox)):
        return True
    # No conflict target: a replica racing on the same dossier may trip the code's unique
    # index before the id's, and either way means "already routed" — unless the code
    # belongs to another dossier, which no retry can fix.
    owner = await conn.fetchval("SELECT id FROM dossier_case WHERE code = $1", case.code)
    if owner is not None and owner != case.id:
        raise PermanentError(f"dossier code {case.code} already belongs to dossier {owner}")
    return False


async def update(conn: asyncpg.Connection, case: Case, outbox: list[OutboxRow], *,
                 document: ResultFile | None = None) -> bool:
    """Write the case if it is still at the version it was read at, with its audit entries,
    its outbox rows and the result document an approval carries, in one statement; False
    (and nothing written) when somebody changed it meanwhile."""
    state = [column_value(case, c) for c in STATE]
    trail = _trail(case.audit, outbox)
    if document is None:
        return bool(await conn.fetchval(_UPDATE, case.id, case.version, *state, *trail))
    return bool(await conn.fetchval(
        _UPDATE_WITH_DOCUMENT, case.id, case.version, *state, *trail, document.filename,
        document.content_type, len(document.content), document.sha256, document.content))
