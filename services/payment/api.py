"""Payment's HTTP edge, thin: the citizen's link and return page, and the gateway's IPN."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.payment import pages
from services.payment.deps import PaymentDeps
from services.payment.handlers import citizen, ipn, receipt
from shared.runtime.service import deps_of

log = structlog.get_logger(__name__)


async def get_deps(request: Request) -> PaymentDeps:
    deps: PaymentDeps = deps_of(request)
    return deps


Deps = Annotated[PaymentDeps, Depends(get_deps)]
router = APIRouter(prefix="/v1", tags=["payment"])
HTML = {"content": {"text/html": {}}}


@router.get("/pay/{token}", response_class=HTMLResponse, status_code=303,
            responses={303: {"description": "To the gateway's signed payment page"},
                       200: {"description": "Đã thanh toán", **HTML},
                       404: {"description": "Không tìm thấy", **HTML},
                       410: {"description": "Không còn hiệu lực", **HTML}})
async def pay(token: str, request: Request, deps: Deps) -> Response:
    """The link of a fee's ``PaymentRequested``: a fresh attempt (a new order) each time,
    then a redirect to the gateway's signed URL. The token is a capability, not a secret of
    the merchant."""
    try:
        url = await citizen.start_attempt(token, request.client.host if request.client
                                          else "127.0.0.1", deps)
    except citizen.LinkNotPayable as nothing:
        code = nothing.dossier_code
        status, html = pages.not_payable(nothing.state, code, deps.receipt_url(code, token)
                                         if nothing.state == "paid" and code else None)
        return HTMLResponse(html, status_code=status)
    return RedirectResponse(url, status_code=303)


@router.get("/gateways/vnpay/return", response_class=HTMLResponse,
            responses={200: {"description": "Kết quả thanh toán", **HTML},
                       400: {"description": "Không hợp lệ: the parameters are not the "
                                            "gateway's signed answer", **HTML}})
async def returned(request: Request, deps: Deps) -> HTMLResponse:
    """Where the gateway sends the citizen back: shows the outcome, changes nothing (only
    the IPN, or a querydr answer, decides)."""
    view = await citizen.read_return(dict(request.query_params), deps)
    return HTMLResponse(pages.returned(view), status_code=400 if view.outcome == "invalid"
                        else 200)


@router.get("/gateways/vnpay/ipn", response_model=ipn.IpnAnswer)
async def vnpay_ipn(request: Request, deps: Deps) -> JSONResponse:
    """VNPay's IPN (server to server): answers RspCode 00 confirmed, 01 order not found,
    02 already confirmed, 04 invalid amount, 97 invalid checksum, 99 unknown error."""
    try:
        answer = await ipn.on_ipn(dict(request.query_params), deps)
    except Exception:
        log.exception("IPN failed")
        answer = ipn.UNKNOWN
    return JSONResponse({"RspCode": answer.RspCode, "Message": answer.Message})


ReceiptToken = Annotated[str | None, Query(
    max_length=128, description="The token of the fee's pay link (`/v1/pay/{token}`), the "
    "capability the citizen was given: the receipt names the payer, so it is shown only to "
    "whoever holds the link")]
ReceiptFormat = Annotated[Literal["json", "pdf"] | None, Query(
    alias="format", description="`pdf` prints it whatever `Accept` says (a browser's link)")]


@router.get("/payments/{dossier_code}/receipt", response_model=receipt.Receipt,
            responses={200: {"content": {"application/pdf": {"schema": {
                           "type": "string", "format": "binary"}}},
                             "description": "JSON, or the printed receipt with "
                                            "`Accept: application/pdf` or `format=pdf`"},
                       401: {"description": "No token: the receipt is the pay link's holder's"},
                       404: {"description": "No paid fee for this dossier under this token"}})
async def dossier_receipt(dossier_code: str, request: Request, deps: Deps,
                          token: ReceiptToken = None, as_format: ReceiptFormat = None) -> Any:
    """The receipt (biên lai) of the dossier's paid fee, for the holder of the fee's pay link
    (``token``; the paid page links here); 404 for a dossier unknown here, not paid (yet),
    whose fee went back, or a token that is not its fee's. ``Accept: application/pdf`` or
    ``format=pdf`` prints it."""
    if not token:
        raise HTTPException(401, "Cần liên kết thanh toán của hồ sơ để xem biên lai",
                            headers={"WWW-Authenticate": 'Bearer realm="pay-link"'})
    found = await receipt.receipt_of(dossier_code, token, deps)
    if found is None:
        raise HTTPException(404, "Không tìm thấy biên lai thu phí của hồ sơ này")
    if as_format == "pdf" or (as_format is None
                              and _wants_pdf(request.headers.get("accept", ""))):
        return Response(await receipt.receipt_pdf(found, deps), media_type="application/pdf",
                        headers={"Content-Disposition":
                                 f'inline; filename="bien-lai-{found.number}.pdf"'})
    return found


def _wants_pdf(accept: str) -> bool:
    """PDF when the client prefers it to JSON (a browser's */* keeps the JSON)."""
    kinds = [part.split(";")[0].strip() for part in accept.split(",")]
    return "application/pdf" in kinds and (
        "application/json" not in kinds
        or kinds.index("application/pdf") < kinds.index("application/json"))
