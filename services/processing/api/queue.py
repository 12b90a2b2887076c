"""``GET /v1/queue``: the signed-in officer's department's work, with counts per SLA state."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query

from services.processing.api import AnswerableErrors, DepsDep
from services.processing.api.auth import UNAUTHORIZED, CurrentOfficer
from services.processing.domain.clock import SlaState
from services.processing.handlers.reads import read_queue
from services.processing.repository.queue import QueueQuery, Sort
from services.processing.schemas import QueueItem, QueuePage, SearchText
from shared.contracts.status import DossierStatus

router = APIRouter(prefix="/v1", tags=["queue"], route_class=AnswerableErrors)
# A million items at the largest page size: more than any department holds, and an OFFSET
# PostgreSQL takes (an unbounded page overflowed its bigint and answered 500).
MAX_PAGE = 10_000


@router.get("/queue", response_model=QueuePage, responses=UNAUTHORIZED)
async def get_queue(
    officer: CurrentOfficer, deps: DepsDep,
    status: Annotated[list[DossierStatus] | None, Query(
        description="Repeat to select several; default: every open status")] = None,
    sla_state: Annotated[list[SlaState] | None, Query(description="Repeat to select several")
                         ] = None,
    q: Annotated[SearchText | None, Query(description="Part of the dossier code or of the "
                                          "applicant's name (diacritics optional)")] = None,
    sort: Sort = "due_date",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> QueuePage:
    today, near = deps.sla_dates(deps.now())
    query = QueueQuery(department_code=officer.department_code, today=today, near=near,
                       sla_states=tuple(sla_state or ()), search=q or None, sort=sort,
                       limit=page_size, offset=(page - 1) * page_size)
    if status:
        query = replace(query, statuses=tuple(s.value for s in status))
    rows, total, counts = await read_queue(deps, query)
    return QueuePage(department_code=officer.department_code,
                     items=[QueueItem.from_row(row) for row in rows], total=total, page=page,
                     page_size=page_size, counts=counts)
