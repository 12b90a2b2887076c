"""Processing's SQL."""

from __future__ import annotations

import uuid

import asyncpg

from services.processing.domain import Case
from shared.status import DossierStatus

_SELECT = """SELECT id, code, procedure_code, department_code, applicant_name, fee,
                    return_method, received_at, due_date, status, fee_paid, outcome, version
             FROM dossier_case"""
_BY_CODE = _SELECT + " WHERE code = $1"
_BY_ID = _SELECT + " WHERE id = $1"
_BY_ID_FOR_UPDATE = _BY_ID + " FOR UPDATE"


def _to_case(row: asyncpg.Record) -> Case:
    values = dict(row)
    values["status"] = DossierStatus(values["status"])
    return Case(**values)


async def load_by_code(conn: asyncpg.Connection, code: str) -> Case | None:
    row = await conn.fetchrow(_BY_CODE, code)
    return None if row is None else _to_case(row)


async def load_for_update(conn: asyncpg.Connection, dossier_id: uuid.UUID) -> Case | None:
    """Lock the case for the rest of the transaction (automatic transitions)."""
    row = await conn.fetchrow(_BY_ID_FOR_UPDATE, dossier_id)
    return None if row is None else _to_case(row)


async def insert(conn: asyncpg.Connection, case: Case) -> bool:
    """Insert a new case at version 1; False if it already exists."""
    inserted = await conn.fetchval(
        """INSERT INTO dossier_case (id, code, procedure_code, department_code, applicant_name,
               fee, return_method, received_at, due_date, status, fee_paid, outcome, version)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,1)
           ON CONFLICT (id) DO NOTHING RETURNING true""",
        case.id, case.code, case.procedure_code, case.department_code, case.applicant_name,
        case.fee, case.return_method, case.received_at, case.due_date, case.status.value,
        case.fee_paid, case.outcome,
    )
    return bool(inserted)


async def update(conn: asyncpg.Connection, case: Case) -> bool:
    """Write the case if nobody changed it since it was read; False when somebody did."""
    updated = await conn.fetchval(
        """UPDATE dossier_case SET status = $3, fee_paid = $4, outcome = $5,
                  version = version + 1, updated_at = now()
           WHERE id = $1 AND version = $2 RETURNING true""",
        case.id, case.version, case.status.value, case.fee_paid, case.outcome,
    )
    return bool(updated)


async def audit(conn: asyncpg.Connection, case: Case, *, actor: str, action: str,
                from_status: DossierStatus | None, reason: str | None = None) -> None:
    await conn.execute(
        """INSERT INTO case_audit (dossier_id, actor, action, from_status, to_status, reason)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        case.id, actor, action, from_status.value if from_status else None,
        case.status.value, reason,
    )
