"""What processing's printed forms read: a department's dossiers of a period, for the book
(Sổ theo dõi hồ sơ)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

BOOK_LIMIT = 5000
"""Rows of one book; a longer period is refused (print it month by month)."""


async def book_rows(conn: asyncpg.Connection, department_code: str, start: datetime,
                    end: datetime) -> list[asyncpg.Record]:
    """The department's dossiers received in ``[start, end)``, in order of receipt, with the
    times of their hand-over to the specialist, decision and return; one row more than
    ``BOOK_LIMIT`` tells the caller the period is too long."""
    return await conn.fetch(
        """SELECT c.code, c.procedure_name, c.applicant_name, c.status, c.due_date,
                  coalesce(c.received_at, c.submitted_at) AS received_at, c.decided_at,
                  c.sla_result,
                  (SELECT min(a.at) FROM case_audit a WHERE a.dossier_id = c.id
                     AND a.to_status = 'in_progress') AS transferred_at,
                  (SELECT min(a.at) FROM case_audit a WHERE a.dossier_id = c.id
                     AND a.to_status = 'result_returned') AS returned_at
           FROM dossier_case c
           WHERE c.department_code = $1
             AND coalesce(c.received_at, c.submitted_at) >= $2
             AND coalesce(c.received_at, c.submitted_at) < $3
           ORDER BY coalesce(c.received_at, c.submitted_at), c.code
           LIMIT $4""",
        department_code, start, end, BOOK_LIMIT + 1)
