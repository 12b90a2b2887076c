"""Processing's SQL for cases, their audit trail and result documents."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from services.processing.clock import Terms
from services.processing.domain import Case
from services.processing.trail import AuditEntry
from services.processing.work_queue import fold
from shared.contracts.events import Envelope
from shared.contracts.status import DossierStatus
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import outbox_row

_STATE = ("department_code", "due_date", "received_at", "original_due_date",
          "statutory_due_date", "status", "paused_at", "fee_paid", "proposal", "outcome",
          "supplement_deadline", "decided_at", "sla_result", "at_risk_flagged_for",
          "overdue_flagged_for")
_FIXED = ("id", "code", "procedure_code", "procedure_name", "applicant_name", "fee",
          "return_method", "catalog_version", "terms", "submitted_at")
_COLUMNS = (*_FIXED, *_STATE)
_SELECT = f"SELECT {', '.join(_COLUMNS)}, version FROM dossier_case"  # noqa: S608 - constants


def _to_case(row: asyncpg.Record) -> Case:
    values = dict(row)
    values["status"] = DossierStatus(values["status"])
    values["terms"] = Terms.model_validate(values["terms"])
    return Case(**values)


def _value(case: Case, column: str) -> Any:
    value = getattr(case, column)
    if column == "terms":
        return case.terms.model_dump(mode="json")
    return value.value if isinstance(value, DossierStatus) else value


async def load_by_code(conn: asyncpg.Connection, code: str) -> Case | None:
    row = await conn.fetchrow(_SELECT + " WHERE code = $1", code)
    return None if row is None else _to_case(row)


async def load_for_update(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> Case | None:
    row = await conn.fetchrow(_SELECT + " WHERE id = $1 FOR UPDATE", dossier_id)
    return None if row is None else _to_case(row)


async def lock_due_for_scan(conn: asyncpg.Connection, statuses: list[str], near: Any,
                            today: Any, limit: int) -> list[Case]:
    """Cases with a running clock whose committed date is near or past and not yet flagged
    for that date; rows another replica holds are skipped, never waited for."""
    rows = await conn.fetch(
        _SELECT + """ WHERE status = ANY($1) AND due_date <= $2
              AND (at_risk_flagged_for IS DISTINCT FROM due_date
                   OR (due_date < $3 AND overdue_flagged_for IS DISTINCT FROM due_date))
            ORDER BY due_date, id LIMIT $4 FOR UPDATE SKIP LOCKED""",
        statuses, near, today, limit,
    )
    return [_to_case(row) for row in rows]


# What a transition writes besides the case row, as one statement's array parameters: the
# case row, its audit entries and its outbox rows go to PostgreSQL in one round trip, in one
# statement (atomic on its own, and inside the caller's transaction when there is one). The
# entries and events are inserted only when the case row was written: ``FROM written,
# unnest(...)`` yields nothing when it was not. ``ORDER BY n`` numbers them in the order the
# transition made them (the outbox relay publishes in id order).
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
        ORDER BY a.n),
    outbox AS (
        INSERT INTO outbox_message (event_id, topic, key, payload, headers)
        SELECT o.event_id, o.topic, o.key, o.payload, o.headers::jsonb
        FROM written, unnest({h}::uuid[], {i}::text[], {j}::text[], {k}::bytea[], {l}::text[])
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


_INSERT_NAMES = (*_COLUMNS, "applicant_search")
_INSERT = _with_trail(
    f"""INSERT INTO dossier_case ({', '.join(_INSERT_NAMES)}, version)
        VALUES ({', '.join(f'${i}' for i in range(1, len(_INSERT_NAMES) + 1))}, 1)
        ON CONFLICT DO NOTHING RETURNING id""",  # noqa: S608 - constant names
    len(_INSERT_NAMES) + 1)
_UPDATE_SQL = f"""UPDATE dossier_case
        SET {', '.join(f'{c} = ${i}' for i, c in enumerate(_STATE, start=3))},
            version = version + 1, updated_at = now()
        WHERE id = $1 AND version = $2 RETURNING id"""  # noqa: S608 - constant names
_UPDATE = _with_trail(_UPDATE_SQL, len(_STATE) + 3)
_UPDATE_WITH_DOCUMENT = _with_trail(_UPDATE_SQL, len(_STATE) + 3, document=True)


def _trail(entries: list[AuditEntry], outbox: list[tuple[str, Envelope]]) -> list[Any]:
    """The audit entries and outbox rows as the statement's twelve array parameters."""
    columns: list[list[Any]] = [[] for _ in range(12)]
    for e in entries:
        for column, value in zip(columns[:7], (
                e.actor.name, e.actor.role.value if e.actor.role else None, str(e.action),
                e.from_status.value if e.from_status else None, e.to_status.value, e.reason,
                json.dumps(e.detail)), strict=True):
            column.append(value)
    for topic, envelope in outbox:
        event_id, topic, key, payload, headers = outbox_row(topic, envelope)
        for column, value in zip(columns[7:], (event_id, topic, key, payload,
                                               json.dumps(headers)), strict=True):
            column.append(value)
    return columns


async def insert(conn: asyncpg.Connection, case: Case, outbox: list[tuple[str, Envelope]]
                 ) -> bool:
    """Insert a new case at version 1 with its audit entries and outbox rows, in one
    statement; False (and nothing written) if it already exists."""
    values = [_value(case, c) for c in _COLUMNS] + [fold(case.applicant_name)]
    inserted = await conn.fetchval(_INSERT, *values, *_trail(case.audit, outbox))
    # No conflict target: a replica racing on the same dossier may trip the code's unique
    # index before the id's, and either way means "already routed" — unless the code
    # belongs to another dossier, which no retry can fix.
    if inserted:
        case.version = 1
        return True
    owner = await conn.fetchval("SELECT id FROM dossier_case WHERE code = $1", case.code)
    if owner is not None and owner != case.id:
        raise PermanentError(f"dossier code {case.code} already belongs to dossier {owner}")
    return False


async def update(conn: asyncpg.Connection, case: Case, outbox: list[tuple[str, Envelope]], *,
                 document: dict[str, Any] | None = None) -> bool:
    """Write the case if nobody changed it since it was read, with its audit entries, its
    outbox rows and the result document an approval carries, in one statement; False (and
    nothing written) when somebody did."""
    state = [_value(case, c) for c in _STATE]
    trail = _trail(case.audit, outbox)
    if document is None:
        updated = await conn.fetchval(_UPDATE, case.id, case.version, *state, *trail)
    else:
        content = document["content"]
        updated = await conn.fetchval(
            _UPDATE_WITH_DOCUMENT, case.id, case.version, *state, *trail,
            document["filename"], document["content_type"], len(content), document["sha256"],
            content)
    if updated:
        case.version += 1
    return bool(updated)


async def audit_trail(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT at, actor, actor_role, action, from_status, to_status, reason, detail
           FROM case_audit WHERE dossier_id = $1 ORDER BY id""",
        dossier_id,
    )


async def result_document(conn: asyncpg.Connection, dossier_id: uuid.UUID
                          ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT filename, content_type, content FROM result_document WHERE dossier_id = $1",
        dossier_id,
    )
