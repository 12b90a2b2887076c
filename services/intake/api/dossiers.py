"""Intake's portal edge: signed submissions, the portal's view, supplements and withdrawal."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from services.intake import repository
from services.intake.api.deps import CodeInPath, Deps, Sha256InPath
from services.intake.api.lots import lots_of
from services.intake.api.openapi import signed
from services.intake.api.signed import SIGNED_BODY_CEILING, Signed, SignedUpload, parse_signed
from services.intake.content import attachment
from services.intake.domain import DossierNotFound, describe, fee_link
from services.intake.handlers.requests import (
    provide_supplement,
    request_redelivery,
    request_withdrawal,
)
from services.intake.handlers.submission import submit_dossier
from services.intake.schemas import (
    DossierReceipt,
    DossierView,
    ProvideSupplement,
    RedeliveryAnswer,
    RequestRedelivery,
    RequestWithdrawal,
    SubmitDossier,
    SupplementAnswer,
    TimelineEntry,
    WithdrawalAnswer,
)
from shared.contracts.status import DossierStatus

router = APIRouter(prefix="/v1", tags=["dossiers"])

_ERRORS = {
    401: {"description": "Missing, stale or wrong signature; `detail` says which"},
    413: {"description": "The body exceeds the route's limit"},
    404: {"description": "No such dossier of this portal"},
    409: {"description": "The dossier's status, or an earlier request, does not allow it"},
    422: {"description": "Invalid; `detail` lists every reason"},
}


@router.post("/dossiers", status_code=201, response_model=DossierReceipt,
             max_body_size=SIGNED_BODY_CEILING,
             responses={200: {"description": "A replay of a submission already registered"},
                        **_ERRORS}, openapi_extra=signed(SubmitDossier))
async def post_dossier(request: SignedUpload, deps: Deps, response: Response,
                      http: Request) -> DossierReceipt:
    """Submit a dossier (JSON with base64 documents, or multipart with files)."""
    command, documents = await parse_signed(SubmitDossier, request)
    receipt, created = await submit_dossier(request.portal, command, documents, deps,
                                            registrar=lots_of(http).register)
    if not created:
        response.status_code = status.HTTP_200_OK
    return receipt


@router.get("/dossiers/{code}", response_model=DossierView, responses=_ERRORS,
            openapi_extra=signed())
async def get_dossier(code: CodeInPath, request: Signed, deps: Deps) -> DossierView:
    """The portal's view of its dossier: status, dates, who submitted, the whole timeline."""
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        if row is None or row["portal"] != request.portal:
            raise DossierNotFound(code)
        timeline = await repository.get_timeline(conn, row["id"])
    current = DossierStatus(row["status"])
    return DossierView(
        dossier_id=row["id"], dossier_code=row["code"], procedure_code=row["procedure_code"],
        department_code=row["department_code"], catalog_version=row["catalog_version"],
        channel=row["channel"], status=current.value, status_label=current.label_vi,
        received_at=row["received_at"], due_date=row["due_date"],
        statutory_due_date=row["statutory_due_date"], return_method=row["return_method"],
        submitted_by=row["submitted_by"], pay_url=fee_link(timeline),
        audit_head=repository.audit_head(timeline),
        timeline=[
            TimelineEntry(occurred_at=t["occurred_at"], event_type=t["event_type"],
                          status=t["status"], description=describe(t["event_type"]),
                          producer=t["producer"], detail=t["detail"])
            for t in timeline
        ],
    )


@router.get("/dossiers/{code}/documents/{sha256}", responses=_ERRORS, openapi_extra=signed(),
            response_class=Response)
async def get_document(code: CodeInPath, sha256: Sha256InPath, request: Signed,
                       deps: Deps) -> Response:
    """A document of the portal's dossier, by its SHA-256."""
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        if row is None or row["portal"] != request.portal:
            raise DossierNotFound(code)
        document = await repository.find_document(conn, row["id"], sha256.lower())
        if document is None:
            raise HTTPException(404, f"dossier {code} has no document {sha256}")
    content = await deps.documents.get(sha256.lower())
    # Served as received (its type checked against its first bytes at intake), as a download
    # the browser may neither sniff into HTML nor display in the portal's origin.
    return Response(content, media_type=document["content_type"], headers={
        "X-Content-SHA256": sha256.lower(), "X-Content-Type-Options": "nosniff",
        "Content-Disposition": attachment(document["filename"]),
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.post("/dossiers/{code}/supplements", status_code=202, response_model=SupplementAnswer,
             max_body_size=SIGNED_BODY_CEILING,
             responses=_ERRORS, openapi_extra=signed(ProvideSupplement))
async def post_supplement(code: CodeInPath, request: SignedUpload, deps: Deps) -> SupplementAnswer:
    """Answer a supplement request with documents; processing resumes the clock."""
    command, documents = await parse_signed(ProvideSupplement, request)
    return await provide_supplement(request.portal, code, command, documents, deps)


@router.post("/dossiers/{code}/withdraw", status_code=202, response_model=WithdrawalAnswer,
             responses=_ERRORS, openapi_extra=signed(RequestWithdrawal))
async def post_withdrawal(code: CodeInPath, request: Signed, deps: Deps) -> WithdrawalAnswer:
    """Ask to withdraw a dossier not yet decided; processing confirms it (status withdrawn)."""
    command, _ = await parse_signed(RequestWithdrawal, request) if request.body.size else (
        RequestWithdrawal(), [])
    return await request_withdrawal(request.portal, code, command, deps)


@router.post("/dossiers/{code}/redelivery", status_code=202, response_model=RedeliveryAnswer,
             responses=_ERRORS, openapi_extra=signed(RequestRedelivery))
async def post_redelivery(code: CodeInPath, request: Signed, deps: Deps) -> RedeliveryAnswer:
    """After the result's parcel could not be delivered (or came back to the office): deliver
    it again (``redeliver``) or collect the result at the office (``collect_at_office``).
    Postal acts on it; the timeline shows the parcel's next states."""
    command, _ = await parse_signed(RequestRedelivery, request)
    return await request_redelivery(request.portal, code, command, deps)
