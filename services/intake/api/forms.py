"""Printed forms for portals: ``GET /v1/dossiers/{code}/forms/{form}`` answers the PDF of a
one-stop form of the portal's dossier, in the set in force on the dossier's date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.intake.api.deps import CodeInPath, Deps
from services.intake.api.openapi import signed
from services.intake.api.signed import Signed
from services.intake.handlers.forms import dossier_form
from shared.forms import PDF, attachment_name

router = APIRouter(prefix="/v1", tags=["forms"])
FormInPath = Annotated[str, Path(
    pattern=r"^([0-9]{2}|[a-z-]{4,20})$",
    description="The form's number in the dossier's set (01 receipt, 02 supplement request, "
                "03 refusal, 04 apology; 05 stop notice from 1/7/2025) or its key: receipt, "
                "supplement-request, refusal, apology, stop-notice")]


@router.get("/dossiers/{code}/forms/{form}", response_class=Response, openapi_extra=signed(),
            responses={200: {"content": {PDF: {"schema": {"type": "string",
                                                            "format": "binary"}}},
                             "description": "The form as PDF"},
                       401: {"description": "Missing, stale or wrong signature"},
                       404: {"description": "No such dossier of this portal, no such form in "
                                            "its set, a form processing prints, or a form "
                                            "whose event has not happened; `detail` says which"}})
async def get_form(code: CodeInPath, form: FormInPath, request: Signed, deps: Deps) -> Response:
    """A printable form of the portal's dossier, chosen by the dossier's date (Thông tư
    01/2018/TT-VPCP before 1/7/2025, 03/2025/TT-VPCP from then)."""
    spec, pdf = await dossier_form(deps, code, form, portal=request.portal)
    return Response(pdf, media_type=PDF, headers={
        "Content-Disposition": f'inline; filename="{attachment_name(spec, code)}"',
        "X-Content-Type-Options": "nosniff"})
