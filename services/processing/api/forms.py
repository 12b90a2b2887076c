"""Processing's printed forms, from what only processing holds (the hand-overs of its audit
trail): the control slip of a dossier (Phiếu kiểm soát quá trình giải quyết hồ sơ: Mẫu 05
of Thông tư 01/2018/TT-VPCP, 06 of 03/2025/TT-VPCP) and a department's book of a period (Sổ
theo dõi hồ sơ: 06, then 07). The set is chosen by the dossier's date, as intake's forms are;
the book's by its period, which may not straddle a change of set. Mounted beside the other
routers; an officer sees only the own department's, as everywhere in processing."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response

from services.processing.api import AnswerableErrors, DepsDep
from services.processing.api.auth import CurrentOfficer
from services.processing.deps import Deps
from services.processing.handlers import reads
from services.processing.repository import cases
from services.processing.repository.forms import BOOK_LIMIT, book_rows
from shared.contracts.status import DossierStatus
from shared.contracts.types import DossierCode
from shared.forms import PDF, FormsError, FormSet, FormSpec, form_sets, render_html, render_pdf
from shared.reference.catalog import CatalogError
from shared.reference.workdays import BUSINESS_TZ

router = APIRouter(prefix="/v1", tags=["forms"], route_class=AnswerableErrors)
_PDF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
          "description": "The form as PDF"},
    401: {"description": "No or invalid token"},
    404: {"description": "No dossier of the officer's department has this code, or the "
                         "form is not processing's"}}
ROLE_LABELS = {"intake": "Bộ phận Một cửa", "specialist": "Chuyên viên xử lý",
               "approver": "Lãnh đạo phê duyệt"}


def _pdf(filename: str, pdf: bytes) -> Response:
    return Response(pdf, media_type=PDF, headers={
        "Content-Disposition": f'inline; filename="{filename}"',
        "X-Content-Type-Options": "nosniff"})


def _agency(deps: Deps, catalog_version: str | None) -> str:
    try:
        if catalog_version:
            return deps.catalog.version(catalog_version).agency.name
    except CatalogError:
        pass
    return deps.catalog.versions[-1].agency.name


def _department_name(deps: Deps, code: str) -> str:
    for version in reversed(deps.catalog.versions):
        department = version.department(code)
        if department is not None:
            return department.name
    return code


def timeliness(at: datetime, due: date) -> str:
    """A hand-over's result against the dossier's committed date, as the slip prints it."""
    day = at.astimezone(BUSINESS_TZ).date()
    return "Trước hạn" if day < due else "Đúng hạn" if day == due else "Quá hạn"


@router.get("/dossiers/{code}/forms/{form}", response_class=Response, responses=_PDF_ANSWER)
async def control_slip(code: DossierCode, officer: CurrentOfficer, deps: DepsDep,
                       form: Annotated[str, Path(pattern=r"^([0-9]{2}|control-slip)$",
                                                 description="05 before 1/7/2025, 06 from "
                                                 "then, or control-slip")]) -> Response:
    """The control slip: each hand-over with its time and its result, early, on time or
    late. The other forms of a dossier are intake's (``GET /v1/dossiers/{code}/forms/{form}``
    there)."""
    async with deps.pool.acquire() as conn:
        case = await reads.own_case(conn, code, officer)
        trail = await cases.audit_trail(conn, case.id)
    form_set = form_sets().in_force(case.received_at or case.submitted_at)
    spec = _form(form_set, form, "control-slip")
    steps, holder = [], ROLE_LABELS["intake"]
    for entry in trail:
        taker = ROLE_LABELS.get(entry["actor_role"] or "", entry["actor_role"] or "Hệ thống")
        status = DossierStatus(entry["to_status"]).label_vi
        steps.append({"handed_by": holder, "taken_by": taker, "at": entry["at"],
                      "result": timeliness(entry["at"], case.due_date), "note": status})
        holder = taker
    html = render_html(form_set, spec, {
        "code": case.code, "number": f"{case.code}/{spec.number}",
        "issued_on": deps.now(), "applicant_name": case.applicant_name,
        "procedure_name": case.procedure_name or case.procedure_code,
        "received_at": case.received_at, "due_date": case.due_date,
        "department_name": _department_name(deps, case.department_code), "steps": steps},
        agency_name=_agency(deps, case.catalog_version))
    return _pdf(f"mau-{spec.number}-{case.code}.pdf",
                await asyncio.to_thread(render_pdf, html))


def _form(form_set: FormSet, ref: str, key: str) -> FormSpec:
    try:
        spec = form_set.form(ref)
    except FormsError as unknown:
        raise HTTPException(404, str(unknown)) from None
    if spec.key != key:
        raise HTTPException(404, f"form {spec.number} of {form_set.name} is {spec.key!r}, "
                                 f"printed by {spec.served_by}, not here")
    return spec


@router.get("/departments/{department}/book", response_class=Response,
            responses={**_PDF_ANSWER, 403: {"description": "Another department's book"},
                       422: {"description": "A period backwards, too long, or across a "
                                            "change of form set"}})
async def book(department: Annotated[str, Path(pattern=r"^[a-z][a-z0-9]{1,11}$")],
               officer: CurrentOfficer, deps: DepsDep,
               start: Annotated[date, Query(alias="from")],
               end: Annotated[date, Query(alias="to")]) -> Response:
    """The department's book of dossiers received from ``from`` to ``to`` (both included,
    Vietnamese days)."""
    if department != officer.department_code:
        raise HTTPException(403, "Chỉ xem được sổ theo dõi của phòng mình")
    if end < start:
        raise HTTPException(422, "'to' is before 'from'")
    form_set = form_sets().in_force(start)
    if form_sets().in_force(end).id != form_set.id:
        raise HTTPException(422, "the period straddles a change of form set: print each "
                                 "side of it apart")
    spec = form_set.form("book")
    since = datetime.combine(start, time(0), BUSINESS_TZ)
    until = datetime.combine(end + timedelta(days=1), time(0), BUSINESS_TZ)
    async with deps.pool.acquire() as conn:
        rows = await book_rows(conn, department, since, until)
    if len(rows) > BOOK_LIMIT:
        raise HTTPException(422, f"more than {BOOK_LIMIT} dossiers: print a shorter period")
    html = render_html(form_set, spec, {
        "number": f"{department.upper()}/{start:%Y%m%d}-{end:%Y%m%d}",
        "issued_on": deps.now(), "period_from": start, "period_to": end,
        "department_name": _department_name(deps, department),
        "rows": [_book_row(r) for r in rows]}, agency_name=_agency(deps, None))
    return _pdf(f"so-theo-doi-{department}-{start}-{end}.pdf",
                await asyncio.to_thread(render_pdf, html))


def _book_row(row: Any) -> dict[str, Any]:
    note = DossierStatus(row["status"]).label_vi
    return {**dict(row), "note": note}



