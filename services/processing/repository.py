"""Processing's SQL for cases, their audit trail and result documents."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.processing.clock import Terms
from services.processing.domain import Case
from services.processing.trail import AuditEntry
from services.processing.work_queue import fold
from shared.messaging import PermanentError
from shared.status import DossierStatus

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


async def load_by_code(conn: asyncpg.Connection, code: str, *, lock: bool = False
                       ) -> Case | None:
    """With ``lock``, the row stays locked until the transaction ends (writers queue up)."""
    row = await conn.fetchrow(_SELECT + " WHERE code = $1" + (" FOR UPDATE" if lock else ""),
                              code)
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


async def insert(conn: asyncpg.Connection, case: Case) -> bool:
    """Insert a new case at version 1; False if it already exists."""
    names = [*_COLUMNS, "applicant_search"]
    values = [_value(case, c) for c in _COLUMNS] + [fold(case.applicant_name)]
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    inserted = await conn.fetchval(
        f"""INSERT INTO dossier_case ({', '.join(names)}, version) VALUES ({placeholders}, 1)
            ON CONFLICT DO NOTHING RETURNING true""",  # noqa: S608 - constant names
        *values,
    )
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


async def update(conn: asyncpg.Connection, case: Case) -> bool:
    """Write the case if nobody changed it since it was read; False when somebody did."""
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(_STATE, start=3))
    updated = await conn.fetchval(
        f"""UPDATE dossier_case SET {sets}, version = version + 1, updated_at = now()
            WHERE id = $1 AND version = $2 RETURNING true""",  # noqa: S608 - constant names
        case.id, case.version, *(_value(case, c) for c in _STATE),
    )
    if updated:
        case.version += 1
    return bool(updated)


async def append_audit(conn: asyncpg.Connection, case: Case, entries: list[AuditEntry]) -> None:
    await conn.executemany(
        """INSERT INTO case_audit (dossier_id, actor, actor_role, action, from_status,
                                   to_status, reason, detail)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [(case.id, e.actor.name, e.actor.role.value if e.actor.role else None, str(e.action),
          e.from_status.value if e.from_status else None, e.to_status.value, e.reason, e.detail)
         for e in entries],
    )


async def audit_trail(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT at, actor, actor_role, action, from_status, to_status, reason, detail
           FROM case_audit WHERE dossier_id = $1 ORDER BY id""",
        dossier_id,
    )


async def store_result_document(conn: asyncpg.Connection, dossier_id: uuid.UUID, *,
                                filename: str, content_type: str, sha256: str,
                                content: bytes) -> None:
    await conn.execute(
        """INSERT INTO result_document (dossier_id, filename, content_type, size, sha256,
                                        content) VALUES ($1, $2, $3, $4, $5, $6)""",
        dossier_id, filename, content_type, len(content), sha256, content,
    )


async def result_document(conn: asyncpg.Connection, dossier_id: uuid.UUID
                          ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT filename, content_type, content FROM result_document WHERE dossier_id = $1",
        dossier_id,
    )
