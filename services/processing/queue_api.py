"""``GET /v1/queue``: the signed-in officer's department's work, with counts per SLA state."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.processing.api import DepsDep
from services.processing.auth_api import CurrentOfficer
from services.processing.clock import SlaState
from services.processing.work_queue import QueueQuery, Sort, list_queue
from shared.contracts.status import DossierStatus

router = APIRouter(prefix="/v1", tags=["queue"])


class QueueItem(BaseModel):
    dossier_code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    status: str
    status_label: str
    sla_state: SlaState | None
    awaiting_approval: bool
    received_at: datetime | None
    due_date: date
    version: int


class QueuePage(BaseModel):
    department_code: str
    items: list[QueueItem]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]


@router.get("/queue", response_model=QueuePage)
async def get_queue(
    officer: CurrentOfficer, deps: DepsDep,
    status: Annotated[list[DossierStatus] | None, Query(
        description="Repeat to select several; default: every open status")] = None,
    sla_state: Annotated[list[SlaState] | None, Query(description="Repeat to select several")
                         ] = None,
    q: Annotated[str | None, Query(max_length=100, description="Part of the dossier code or "
                                   "of the applicant's name (diacritics optional)")] = None,
    sort: Sort = "due_date",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> QueuePage:
    today, near = deps.sla_dates(deps.now())
    query = QueueQuery(department_code=officer.department_code, today=today, near=near,
                       sla_states=tuple(sla_state or ()), search=q or None, sort=sort,
                       limit=page_size, offset=(page - 1) * page_size)
    if status:
        query = replace(query, statuses=tuple(s.value for s in status))
    async with deps.pool.acquire() as conn:
        rows, total, counts = await list_queue(conn, query)
    items = [QueueItem(
        dossier_code=r["code"], procedure_code=r["procedure_code"],
        procedure_name=r["procedure_name"], applicant_name=r["applicant_name"],
        status=r["status"], status_label=DossierStatus(r["status"]).label_vi,
        sla_state=r["sla_state"], awaiting_approval=r["proposal"] is not None,
        received_at=r["received_at"], due_date=r["due_date"], version=r["version"])
        for r in rows]
    return QueuePage(department_code=officer.department_code, items=items, total=total,
                     page=page, page_size=page_size, counts=counts)
