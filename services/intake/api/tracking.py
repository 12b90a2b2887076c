"""Citizen tracking: anyone with a dossier code sees its status, dates and public timeline.

Codes are sequential, so lookups are rate limited per client (the ``limits`` library, moving
window, in this process's memory: each replica counts on its own).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from services.intake import repository
from services.intake.api.deps import CodeInPath, Deps
from services.intake.domain import public_description, public_detail
from services.intake.schemas import PublicTimelineEntry, TrackingView
from shared.contracts.status import DossierStatus
from shared.reference.catalog import CatalogError

router = APIRouter(prefix="/v1", tags=["tracking"])


async def rate_limited(request: Request, deps: Deps) -> None:
    await deps.tracking_limiter(request)


@router.get("/track/{code}", response_model=TrackingView,
            dependencies=[Depends(rate_limited)],
            responses={404: {"description": "Không tìm thấy hồ sơ"},
                       429: {"description": "Too many lookups from this client"}})
async def track(code: CodeInPath, deps: Deps) -> TrackingView:
    """No credential: the status with its Vietnamese label, the committed due date and the
    public timeline; no name, number, address or officer."""
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        if row is None:
            raise HTTPException(404, f"Không tìm thấy hồ sơ có mã {code}.")
        timeline = await repository.get_timeline(conn, row["id"])
    current = DossierStatus(row["status"])
    try:
        version = deps.catalog.version(row["catalog_version"])
        procedure = version.procedure(row["procedure_code"])
    except CatalogError:  # a version retired from the data set: the code still says enough
        procedure = None
    return TrackingView(
        dossier_code=row["code"], procedure_code=row["procedure_code"],
        procedure_name=procedure.name if procedure else None, status=current.value,
        status_label=current.label_vi, received_at=row["received_at"], due_date=row["due_date"],
        timeline=[
            PublicTimelineEntry(
                occurred_at=t["occurred_at"], status=t["status"],
                status_label=DossierStatus(t["status"]).label_vi if t["status"] else None,
                description=public_description(t["event_type"], t["detail"]),
                detail=public_detail(t["detail"]),
            )
            for t in timeline
        ],
    )
