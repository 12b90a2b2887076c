"""Processing's HTTP edge: officers act on dossiers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.processing import repository
from services.processing.domain import ActionNotAllowed, allowed_actions
from services.processing.handlers import ConcurrentChange, act_on_dossier
from shared.service import Runtime, get_runtime

router = APIRouter(prefix="/v1", tags=["dossiers"])
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class OfficerAction(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    action: Literal["approve", "refuse"]
    reason: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _refusal_needs_reason(self) -> OfficerAction:
        if self.action == "refuse" and not (self.reason and self.reason.strip()):
            raise ValueError("a refusal needs a reason")
        return self


class CaseView(BaseModel):
    dossier_code: str
    department_code: str
    procedure_code: str
    status: str
    outcome: str | None
    due_date: date
    fee_paid: bool
    allowed_actions: list[str]


@router.post(
    "/dossiers/{code}/actions",
    response_model=CaseView,
    responses={404: {"description": "Unknown dossier"},
               409: {"description": "Not allowed now; the body gives the status and "
                                    "the allowed actions"}},
)
async def post_action(code: str, body: OfficerAction, runtime: RuntimeDep) -> CaseView:
    try:
        case = await act_on_dossier(
            runtime.pool, code, body.action, actor="officer", reason=body.reason
        )
    except LookupError as missing:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(missing)) from missing
    except ActionNotAllowed as refused:
        return JSONResponse(  # type: ignore[return-value]
            status_code=status.HTTP_409_CONFLICT,
            content={"detail": str(refused), "status": refused.status.value,
                     "allowed_actions": refused.allowed},
        )
    except ConcurrentChange as conflict:
        raise HTTPException(status.HTTP_409_CONFLICT, str(conflict)) from conflict
    return _view(case)


@router.get("/dossiers/{code}", response_model=CaseView)
async def get_case(code: str, runtime: RuntimeDep) -> CaseView:
    async with runtime.pool.acquire() as conn:
        case = await repository.load_by_code(conn, code)
    if case is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dossier {code!r}")
    return _view(case)


def _view(case) -> CaseView:  # type: ignore[no-untyped-def]
    return CaseView(
        dossier_code=case.code,
        department_code=case.department_code,
        procedure_code=case.procedure_code,
        status=case.status.value,
        outcome=case.outcome,
        due_date=case.due_date,
        fee_paid=case.fee_paid,
        allowed_actions=allowed_actions(case.status),
    )
