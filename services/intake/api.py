"""Intake's HTTP edge: portals submit, anyone reads the catalog, portals read dossiers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from services.intake import repository
from services.intake.contracts import (
    DossierReceipt,
    DossierView,
    ProcedureSummary,
    RequiredDocument,
    SubmitDossier,
    TimelineEntry,
)
from services.intake.domain import SubmissionRefused, describe
from services.intake.handlers import IntakeDeps, SubmissionConflict, submit_dossier
from shared.service import Runtime, get_runtime
from shared.status import DossierStatus

router = APIRouter(prefix="/v1")


def get_deps(runtime: Annotated[Runtime, Depends(get_runtime)]) -> IntakeDeps:
    deps: IntakeDeps = runtime.state["deps"]
    return deps


Deps = Annotated[IntakeDeps, Depends(get_deps)]


@router.get("/procedures", response_model=list[ProcedureSummary], tags=["catalog"])
async def list_procedures(deps: Deps) -> list[ProcedureSummary]:
    """The procedures in force, with fee (VND) and committed working days."""
    version = deps.catalog.active()
    return [
        ProcedureSummary(
            code=p.code,
            national_code=p.national_code,
            name=p.name,
            department_code=p.department_code,
            fee=p.fee,
            committed_days=p.committed_days,
            statutory_days=p.statutory_days,
            postal_return=p.postal_return,
            postage=p.postage,
            required_documents=[
                RequiredDocument(kind=d.kind, name=d.name, mandatory=d.mandatory,
                                 accepted_types=list(d.accepted_types), max_bytes=d.max_bytes)
                for d in p.required_documents
            ],
        )
        for p in version.procedures
    ]


@router.post(
    "/dossiers",
    status_code=status.HTTP_201_CREATED,
    response_model=DossierReceipt,
    tags=["dossiers"],
    responses={200: {"description": "A replay of a submission already registered"},
               409: {"description": "The submission id was used with another body"},
               422: {"description": "The submission is invalid; `detail` lists the reasons"}},
)
async def post_dossier(command: SubmitDossier, deps: Deps, response: Response) -> DossierReceipt:
    try:
        receipt, created = await submit_dossier(command, deps)
    except SubmissionRefused as refused:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, refused.reasons) from refused
    except SubmissionConflict as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from conflict
    if not created:
        response.status_code = status.HTTP_200_OK
    return receipt


@router.get("/dossiers/{code}", response_model=DossierView, tags=["dossiers"])
async def get_dossier(code: str, deps: Deps) -> DossierView:
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dossier {code!r}")
        timeline = await repository.get_timeline(conn, row["id"])
    current = DossierStatus(row["status"])
    return DossierView(
        dossier_id=row["id"],
        dossier_code=row["code"],
        procedure_code=row["procedure_code"],
        department_code=row["department_code"],
        status=current.value,
        status_label=current.label_vi,
        received_at=row["received_at"],
        due_date=row["due_date"],
        return_method=row["return_method"],
        timeline=[
            TimelineEntry(
                occurred_at=t["occurred_at"],
                event_type=t["event_type"],
                status=t["status"],
                description=describe(t["event_type"]),
                producer=t["producer"],
                detail=t["detail"],
            )
            for t in timeline
        ],
    )
