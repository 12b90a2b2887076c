"""Citizen tracking: the holder of a dossier code and of the applicant's phone number (its last
four digits) sees the dossier's status, dates and public timeline.

Codes are sequential, so the code alone proves nothing: the second factor is what the citizen
has at hand wherever the code came from (the receipt, an email, an SMS), and a wrong one
answers exactly as an unknown code does, so a guess learns nothing. Lookups are rate limited
per client and per code, in the database, across replicas (``limiter.py``).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from services.intake import repository
from services.intake.api.body import small_body
from services.intake.api.deps import CodeInPath, Deps
from services.intake.domain import fee_link, public_description, public_detail
from services.intake.schemas import PublicTimelineEntry, TrackingView
from shared.contracts.status import DossierStatus
from shared.reference.catalog import CatalogError

router = APIRouter(prefix="/v1", tags=["tracking"], dependencies=[Depends(small_body)])
PhoneLast4 = Annotated[str, Query(pattern=r"^[0-9]{4}$", description=(
    "The last four digits of the applicant's phone number, as given at submission"))]


@router.get("/track/{code}", response_model=TrackingView,
            responses={404: {"description": "Không tìm thấy hồ sơ (or a wrong phone_last4)"},
                       422: {"description": "A malformed code or phone_last4"},
                       429: {"description": "Too many lookups from this client, or of this code"}})
async def track(code: CodeInPath, phone_last4: PhoneLast4, request: Request,
                deps: Deps) -> TrackingView:
    """No credential but the second factor: the status with its Vietnamese label, the
    committed due date and the public timeline; no name, number, address or officer's words."""
    await deps.tracking_limiter.check(request, code)
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        phone = row["applicant_phone"] if row is not None else None
        if not phone or not hmac.compare_digest(phone[-4:].encode(), phone_last4.encode()):
            raise HTTPException(404, f"Không tìm thấy hồ sơ có mã {code}.")
        timeline = await repository.get_timeline(conn, row["id"])
    current = DossierStatus(row["status"])
    try:
        version = deps.catalog.version(row["catalog_version"])
        procedure = version.procedure(row["procedure_code"])
    except CatalogError:  # a version retired from the data set: the code still says enough
        procedure = None
    kinds = {r.kind for r in procedure.required_documents} if procedure else set()
    return TrackingView(
        dossier_code=row["code"], procedure_code=row["procedure_code"],
        procedure_name=procedure.name if procedure else None, status=current.value,
        status_label=current.label_vi, received_at=row["received_at"], due_date=row["due_date"],
        pay_url=fee_link(timeline),
        audit_head=repository.audit_head(timeline),
        timeline=[
            PublicTimelineEntry(
                occurred_at=t["occurred_at"], status=t["status"],
                status_label=DossierStatus(t["status"]).label_vi if t["status"] else None,
                description=public_description(t["event_type"], t["detail"]),
                detail=public_detail(t["detail"], kinds),
            )
            for t in timeline
        ],
    )
