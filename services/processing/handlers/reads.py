"""What officers read: their department's queue, and a dossier of their own department with
its audit trail and result document."""

from __future__ import annotations

import asyncpg

from services.processing.deps import Deps
from services.processing.domain.case import Case
from services.processing.domain.errors import CaseNotFound, NoResultDocument
from services.processing.officers import Officer
from services.processing.repository import cases, queue
from services.processing.repository.queue import QueueQuery
from shared.runtime.audit_chain import CASE_AUDIT, ChainReport, verify_chain


async def read_queue(deps: Deps, query: QueueQuery
                     ) -> tuple[list[asyncpg.Record], int, dict[str, int]]:
    async with deps.pool.acquire() as conn:
        return await queue.list_queue(conn, query)


async def own_case(conn: asyncpg.Connection, code: str, officer: Officer) -> Case:
    """Officers see and act on their own department's dossiers only; to them, another
    department's dossier does not exist (a 403 would confirm that the code was issued)."""
    case = await cases.load_by_code(conn, code, officer.department_code)
    if case is None:
        raise CaseNotFound(code)
    return case


async def read_case(deps: Deps, code: str, officer: Officer) -> Case:
    async with deps.pool.acquire() as conn:
        return await own_case(conn, code, officer)


async def read_audit_trail(deps: Deps, code: str, officer: Officer) -> list[asyncpg.Record]:
    async with deps.pool.acquire() as conn:
        case = await own_case(conn, code, officer)
        return await cases.audit_trail(conn, case.id)


async def verify_audit_trail(deps: Deps, code: str, officer: Officer) -> ChainReport:
    """The dossier's audit chain recomputed (the shared ``verify``), for an officer of its
    department."""
    async with deps.pool.acquire() as conn:
        case = await own_case(conn, code, officer)
        return await verify_chain(conn, CASE_AUDIT, case.id, case.code)


async def read_result_document(deps: Deps, code: str, officer: Officer) -> asyncpg.Record:
    async with deps.pool.acquire() as conn:
        case = await own_case(conn, code, officer)
        document = await cases.result_document(conn, case.id)
    if document is None:
        raise NoResultDocument(code)
    return document
