"""Processing's HTTP edge: officers read and act on their own department's dossiers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.processing import repository
from services.processing.actions import NotYourDepartment, StaleVersion, act_on_dossier
from services.processing.auth_api import CurrentOfficer
from services.processing.changes import ConcurrentChange
from services.processing.clock import SlaState, sla_state
from services.processing.commands import OfficerCommand
from services.processing.deps import Deps
from services.processing.domain import Case
from services.processing.officers import Officer
from services.processing.workflow import ActionNotAllowed, InvalidAction, allowed_actions
from shared.runtime.service import deps_of

router = APIRouter(prefix="/v1", tags=["dossiers"])


async def get_deps(request: Request) -> Deps:
    deps: Deps = deps_of(request)
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]


class CaseView(BaseModel):
    dossier_id: str
    dossier_code: str
    department_code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    status: str
    status_label: str
    sla_state: SlaState | None
    awaiting_approval: bool
    proposed_outcome: str | None
    outcome: str | None
    received_at: datetime | None
    due_date: date
    original_due_date: date | None
    statutory_due_date: date | None
    supplement_deadline: date | None
    fee: int
    fee_paid: bool
    sla_result: str | None
    version: int
    allowed_actions: list[str]


class AuditView(BaseModel):
    at: datetime
    actor: str
    actor_role: str | None
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    detail: dict[str, Any]


def case_view(case: Case, officer: Officer, deps: Deps) -> CaseView:
    today, near = deps.sla_dates(deps.now())
    return CaseView(
        dossier_id=str(case.id), dossier_code=case.code, department_code=case.department_code,
        procedure_code=case.procedure_code, procedure_name=case.procedure_name,
        applicant_name=case.applicant_name, status=case.status.value,
        status_label=case.status.label_vi,
        sla_state=sla_state(case.status, case.due_date, today, near),
        awaiting_approval=case.proposal is not None, proposed_outcome=case.proposal,
        outcome=case.outcome, received_at=case.received_at, due_date=case.due_date,
        original_due_date=case.original_due_date, statutory_due_date=case.statutory_due_date,
        supplement_deadline=case.supplement_deadline, fee=int(case.fee),
        fee_paid=case.fee_paid, sla_result=case.sla_result, version=case.version,
        allowed_actions=allowed_actions(case.situation, officer.role),
    )


def _conflict(detail: str, case_status: str, allowed: list[str], version: int | None = None
              ) -> JSONResponse:
    return JSONResponse(status_code=status.HTTP_409_CONFLICT, content={
        "detail": detail, "status": case_status, "allowed_actions": allowed, "version": version})


@router.post(
    "/dossiers/{code}/actions", response_model=CaseView,
    responses={401: {"description": "No or invalid token"},
               403: {"description": "The dossier belongs to another department"},
               404: {"description": "Unknown dossier"},
               409: {"description": "Not allowed now or for this role, or somebody acted "
                                    "meanwhile; the body gives the status and the allowed "
                                    "actions"},
               422: {"description": "The action's content is invalid; `detail` says why"}},
)
async def post_action(code: str, command: Annotated[OfficerCommand, Body()],
                      officer: CurrentOfficer, deps: DepsDep) -> Any:
    try:
        case = await act_on_dossier(deps, code, command, officer)
    except LookupError as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from missing
    except NotYourDepartment as foreign:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(foreign)) from foreign
    except ActionNotAllowed as refused:
        return _conflict(str(refused), refused.status.value, refused.allowed)
    except StaleVersion as stale:
        return _conflict(str(stale), stale.case.status.value,
                         allowed_actions(stale.case.situation, officer.role), stale.case.version)
    except ConcurrentChange as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from conflict
    except InvalidAction as invalid:
        raise HTTPException(422, str(invalid)) from invalid
    return case_view(case, officer, deps)


async def _own_case(code: str, officer: Officer, deps: Deps) -> Case:
    async with deps.pool.acquire() as conn:
        case = await repository.load_by_code(conn, code)
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dossier {code!r}")
    if case.department_code != officer.department_code:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"dossier {code} belongs to department {case.department_code!r}")
    return case


@router.get("/dossiers/{code}", response_model=CaseView)
async def get_case(code: str, officer: CurrentOfficer, deps: DepsDep) -> CaseView:
    return case_view(await _own_case(code, officer, deps), officer, deps)


@router.get("/dossiers/{code}/audit", response_model=list[AuditView])
async def get_audit(code: str, officer: CurrentOfficer, deps: DepsDep) -> list[AuditView]:
    """Every action and automatic transition: who, in which role, when, from and to which
    status, and why. Append-only: the database refuses to change or delete an entry."""
    case = await _own_case(code, officer, deps)
    async with deps.pool.acquire() as conn:
        rows = await repository.audit_trail(conn, case.id)
    return [AuditView(**dict(row)) for row in rows]


@router.get("/dossiers/{code}/result-document", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
async def get_result_document(code: str, officer: CurrentOfficer, deps: DepsDep) -> Response:
    case = await _own_case(code, officer, deps)
    async with deps.pool.acquire() as conn:
        row = await repository.result_document(conn, case.id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"dossier {code} has no result document")
    return Response(row["content"], media_type=row["content_type"], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row['filename'])}"})
