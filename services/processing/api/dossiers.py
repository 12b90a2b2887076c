"""An officer reads and acts on a dossier of their own department."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from services.processing.api import AnswerableErrors, DepsDep
from services.processing.api.auth import UNAUTHORIZED, CurrentOfficer
from services.processing.deps import Deps
from services.processing.domain import result_file
from services.processing.domain.case import Case
from services.processing.domain.errors import ConflictWithState
from services.processing.handlers import reads
from services.processing.handlers.officer_actions import act_on_dossier
from services.processing.officers import Officer
from services.processing.schemas import AuditView, CaseView, OfficerCommand
from shared.contracts.types import DossierCode
from shared.runtime.audit_chain import CASE_AUDIT, ChainVerification

router = APIRouter(prefix="/v1", tags=["dossiers"], route_class=AnswerableErrors)
ACTION_BODY_BYTES = result_file.MAX_BYTES * 4 // 3 + 64 * 1024
"""An approval carries its result document base64-encoded; every other request is small."""
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {
    "description": "No dossier of the officer's department has this code (another "
                   "department's dossier is answered exactly the same way)"}, **UNAUTHORIZED}


def _view(case: Case, officer: Officer, deps: Deps) -> CaseView:
    return CaseView.of(case, officer.role, *deps.sla_dates(deps.now()))


@router.post(
    "/dossiers/{code}/actions", response_model=CaseView, max_body_size=ACTION_BODY_BYTES,
    responses={**_NOT_FOUND,
               409: {"description": "Not allowed now or for this role, or somebody acted "
                                    "meanwhile; the body gives the status and the allowed "
                                    "actions"},
               422: {"description": "The action's content is invalid; `detail` says why"}},
)
async def post_action(code: DossierCode, command: Annotated[OfficerCommand, Body()],
                      officer: CurrentOfficer, deps: DepsDep) -> Any:
    try:
        case = await act_on_dossier(deps, code, command, officer)
    except ConflictWithState as conflict:  # more than a `detail`: where the dossier is now
        return JSONResponse(status_code=409, content=conflict.answer())
    return _view(case, officer, deps)


@router.get("/dossiers/{code}", response_model=CaseView, responses=_NOT_FOUND)
async def get_case(code: DossierCode, officer: CurrentOfficer, deps: DepsDep) -> CaseView:
    return _view(await reads.read_case(deps, code, officer), officer, deps)


@router.get("/dossiers/{code}/audit", response_model=list[AuditView], responses=_NOT_FOUND)
async def get_audit(code: DossierCode, officer: CurrentOfficer, deps: DepsDep) -> list[AuditView]:
    """Every action and automatic transition: who, in which role, when, from and to which
    status, and why. Append-only: the database refuses to change or delete an entry."""
    rows = await reads.read_audit_trail(deps, code, officer)
    return [AuditView(**dict(row)) for row in rows]


@router.get("/dossiers/{code}/audit/verify", response_model=ChainVerification,
            responses=_NOT_FOUND)
async def verify_audit(code: DossierCode, officer: CurrentOfficer, deps: DepsDep
                       ) -> ChainVerification:
    """``verify``: the dossier's audit trail recomputed as a hash chain. `ok` when every entry
    is where and as it was written; otherwise `first_bad` names the first entry edited,
    removed (the next one is out of place) or reordered, past the database's triggers.
    `head` is the chain's head now, to compare with the `audit_head` of the events published
    before."""
    return ChainVerification.of(CASE_AUDIT, await reads.verify_audit_trail(deps, code, officer))


@router.get("/dossiers/{code}/result-document", response_class=Response,
            responses={**_NOT_FOUND, 200: {"content": {"application/pdf": {}}}})
async def get_result_document(code: DossierCode, officer: CurrentOfficer, deps: DepsDep
                              ) -> Response:
    document = await reads.read_result_document(deps, code, officer)
    return Response(document["content"], media_type=document["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(document['filename'])}"})
