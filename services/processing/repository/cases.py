"""Reading cases, their audit trail and result documents."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.processing.domain.case import Case
from services.processing.domain.clock import Terms
from shared.contracts.status import DossierStatus

STATE = ("department_code", "due_date", "received_at", "original_due_date",
         "statutory_due_date", "status", "paused_at", "fee_paid", "fee_failed_at",
         "fee_failure_reason", "proposal", "outcome", "supplement_deadline", "decided_at",
         "sla_result", "at_risk_flagged_for", "overdue_flagged_for", "fee_due_date",
         "fee_reminded_for", "fee_overdue", "calendar_version")
"""The columns a transition may change."""
FIXED = ("id", "code", "procedure_code", "procedure_name", "applicant_name", "fee",
         "return_method", "catalog_version", "terms", "submitted_at")
COLUMNS = (*FIXED, *STATE)
_SELECT = f"SELECT {', '.join(COLUMNS)}, version FROM dossier_case"  # noqa: S608 - constants


def _to_case(row: asyncpg.Record) -> Case:
    values = dict(row)
    values["status"] = DossierStatus(values["status"])
    values["terms"] = Terms.model_validate(values["terms"])
    return Case(**values)


def column_value(case: Case, column: str) -> Any:
    value = getattr(case, column)
    if column == "terms":
        return case.terms.model_dump(mode="json")
    return value.value if isinstance(value, DossierStatus) else value


async def load_by_code(conn: asyncpg.Connection, code: str, department_code: str
                       ) -> Case | None:
    """The dossier if it is of this department: another department's is not found, by the
    same query, so neither the answer nor its time tells one from a code never issued."""
    row = await conn.fetchrow(_SELECT + " WHERE code = $1 AND department_code = $2", code,
                              department_code)
    return None if row is None else _to_case(row)


async def load_for_update(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> Case | None:
    row = await conn.fetchrow(_SELECT + " WHERE id = $1 FOR UPDATE", dossier_id)
    return None if row is None else _to_case(row)


async def lock_due_for_scan(conn: asyncpg.Connection, statuses: list[str], near: date,
                            today: date, limit: int) -> list[Case]:
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


async def lock_fee_due_for_scan(conn: asyncpg.Connection, remind_by: date, today: date,
                                limit: int) -> list[Case]:
    """Cases awaiting their fee whose deadline is near (not yet reminded of) or past (not
    yet flagged); rows another replica holds are skipped, never waited for."""
    rows = await conn.fetch(
        _SELECT + """ WHERE status = 'awaiting_fee' AND NOT fee_paid AND fee_due_date <= $1
              AND (fee_reminded_for IS DISTINCT FROM fee_due_date
                   OR (fee_due_date < $2 AND NOT fee_overdue))
            ORDER BY fee_due_date, id LIMIT $3 FOR UPDATE SKIP LOCKED""",
        remind_by, today, limit,
    )
    return [_to_case(row) for row in rows]


async def lock_other_calendar(conn: asyncpg.Connection, statuses: list[str], version: str,
                              limit: int) -> list[Case]:
    """Open cases whose dates were computed under another calendar than ``version``; rows
    another replica holds are skipped, never waited for."""
    rows = await conn.fetch(
        _SELECT + """ WHERE status = ANY($1) AND calendar_version <> $2
            ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED""", statuses, version, limit)
    return [_to_case(row) for row in rows]


async def record_calendar(conn: asyncpg.Connection, version: str, days: dict[str, Any]
                          ) -> None:
    await conn.execute("""INSERT INTO calendar_snapshot (version, days) VALUES ($1, $2::jsonb)
                          ON CONFLICT (version) DO NOTHING""", version, days)


async def calendar_days(conn: asyncpg.Connection, version: str) -> dict[str, Any] | None:
    return await conn.fetchval("SELECT days FROM calendar_snapshot WHERE version = $1", version)


async def audit_trail(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT at, actor, actor_role, action, from_status, to_status, reason, detail,
                  seq, entry_hash
           FROM case_audit WHERE dossier_id = $1 ORDER BY seq""",
        dossier_id,
    )


async def result_document(conn: asyncpg.Connection, dossier_id: uuid.UUID
                          ) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT filename, content_type, content FROM result_document WHERE dossier_id = $1",
        dossier_id,
    )


async def has_result_document(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM result_document WHERE dossier_id = $1)", dossier_id))
