"""Citizen tracking: anyone with a dossier code sees its status, dates and public timeline.

Codes are sequential, so lookups are rate limited per client (the ``limits`` library, moving
window, in this process's memory: each replica counts on its own).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from services.intake import repository
from services.intake.dependencies import Deps
from services.intake.domain import public_description, public_detail
from services.intake.views import PublicTimelineEntry, TrackingView
from shared.catalog import CatalogError
from shared.service import Runtime, get_runtime
from shared.status import DossierStatus

router = APIRouter(prefix="/v1", tags=["tracking"])


class TrackingLimiter:
    def __init__(self, rate: str, client_ip_header: str | None = None) -> None:
        self._rate = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._header = client_ip_header

    def client_of(self, request: Request) -> str:
        if self._header and (forwarded := request.headers.get(self._header)):
            return forwarded.split(",")[0].strip()  # the first hop is the client
        return request.client.host if request.client else "unknown"

    async def __call__(self, request: Request) -> None:
        """FastAPI dependency: 429 with Retry-After once a client exceeds the rate."""
        client = self.client_of(request)
        if await self._limiter.hit(self._rate, "track", client):
            return
        stats = await self._limiter.get_window_stats(self._rate, "track", client)
        wait = max(1, int(stats.reset_time - time.time()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Tra cứu quá nhiều lần, vui lòng thử lại sau {wait} giây.",
            headers={"Retry-After": str(wait)},
        )


async def get_limiter(runtime: Annotated[Runtime, Depends(get_runtime)]) -> TrackingLimiter:
    limiter: TrackingLimiter = runtime.state["tracking_limiter"]
    return limiter


async def rate_limited(request: Request,
                       limiter: Annotated[TrackingLimiter, Depends(get_limiter)]) -> None:
    await limiter(request)


@router.get("/track/{code}", response_model=TrackingView,
            dependencies=[Depends(rate_limited)],
            responses={404: {"description": "Không tìm thấy hồ sơ"},
                       429: {"description": "Too many lookups from this client"}})
async def track(code: str, deps: Deps) -> TrackingView:
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
