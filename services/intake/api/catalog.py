"""The catalog and the working-day calendar, public, so a portal can show them before submitting."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field, WithJsonSchema

from services.intake.api.body import small_body
from services.intake.api.deps import Deps, ProcedureInPath
from services.intake.schemas import Code
from shared.contracts.types import EARLIEST_DATE, LATEST_DATE, Line
from shared.reference.catalog import CatalogError, CatalogVersion, Procedure
from shared.reference.workdays import Announcement, Source

router = APIRouter(prefix="/v1", tags=["catalog"], dependencies=[Depends(small_body)])
# A wall-clock time in Vietnam, "17:00:00", as pydantic writes a time. Not JSON Schema's
# "time" format, which is RFC 3339's full-time and requires a UTC offset ("17:00:00+07:00"):
# the API fuzzing (tests/hostile/test_openapi_fuzz.py) found every answer violating it.
LocalTime = Annotated[time, WithJsonSchema({
    "type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?$",
    "description": "Local time of day in Vietnam (Asia/Ho_Chi_Minh), without offset",
    "examples": ["17:00:00"]})]


class ProcedureView(Procedure):
    """A procedure exactly as the catalog version in force defines it."""

    department_name: str
    catalog_version: str
    catalog_effective_from: date
    cutoff: LocalTime = time(17)  # dossiers received after it count from the next working day


class DueDate(BaseModel):
    procedure_code: str
    catalog_version: str
    counted_from: date
    due_date: date
    statutory_due_date: date


class NamedDay(BaseModel):
    date: date
    name: str


class DeviationView(BaseModel):
    """A day not as Monday–Friday has it, with the document it comes from."""

    date: date
    working: bool
    name: str
    source: Source | None


class CalendarYear(BaseModel):
    year: int
    non_working_weekdays: list[NamedDay]
    makeup_working_days: list[NamedDay]
    calendar_version: str = ""
    deviations: list[DeviationView] = []
    announcements: list[Announcement] = []
    warnings: list[str] = Field(
        [], description="Holiday periods ahead with no confirmed announcement: deadlines "
                        "across them may move when it comes.")


def _view(procedure: Procedure, version: CatalogVersion) -> ProcedureView:
    department = version.department(procedure.department_code)
    return ProcedureView(**procedure.model_dump(), catalog_version=version.id,
                         catalog_effective_from=version.effective_from,
                         department_name=department.name if department else "")


@router.get("/procedures", response_model=list[ProcedureView])
async def list_procedures(deps: Deps) -> list[ProcedureView]:
    """The procedures in force: fee (VND), committed and statutory working days, documents."""
    version = deps.catalog.active()
    return [_view(p, version) for p in version.procedures]


@router.get("/procedures/{code}", response_model=ProcedureView,
            responses={404: {"description": "No such procedure in the version in force"}})
async def get_procedure(code: ProcedureInPath, deps: Deps) -> ProcedureView:
    version = deps.catalog.active()
    procedure = version.procedure(code)
    if procedure is None:
        raise HTTPException(404, f"no procedure {code!r} in catalog version {version.id}")
    return _view(procedure, version)


def _received_at(value: str) -> datetime:
    # An unencoded "+07:00" in a query string arrives as " 07:00": read it as meant.
    value = re.sub(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$", r"\1+\2", value.strip())
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, [
            "received_at: not an ISO 8601 date-time, e.g. 2025-01-23T10:00:00+07:00"]) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise HTTPException(422, [
            "received_at: needs a UTC offset (a time without one is ambiguous), "
            "e.g. 2025-01-23T10:00:00+07:00"])
    if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
        raise HTTPException(422, [
            f"received_at: must fall between {EARLIEST_DATE} and {LATEST_DATE}, the years the "
            "working-day calendar covers"])
    return moment


@router.get("/due-date", response_model=DueDate,
            responses={404: {"description": "Unknown procedure"},
                       422: {"description": "Malformed time, or a time without offset"}})
async def get_due_date(
    deps: Deps,
    procedure_code: Annotated[Code, Query()],
    received_at: Annotated[Line, Query(description="ISO 8601 with offset")],
) -> DueDate:
    """The appointment a dossier received at ``received_at`` would get, under the catalog
    version in force then (provisional until the dossier is accepted)."""
    moment = _received_at(received_at)
    try:
        version = deps.catalog.active(moment)
    except CatalogError as error:
        raise HTTPException(422, [str(error)]) from error
    procedure = version.procedure(procedure_code)
    if procedure is None:
        raise HTTPException(404, f"no procedure {procedure_code!r} in catalog version "
                                 f"{version.id}")
    counted_from = deps.calendar.counted_from(moment, procedure.cutoff)
    return DueDate(
        procedure_code=procedure.code, catalog_version=version.id, counted_from=counted_from,
        due_date=deps.calendar.due_date(moment, procedure.committed_days, procedure.cutoff),
        statutory_due_date=deps.calendar.due_date(moment, procedure.statutory_days,
                                                  procedure.cutoff),
    )


@router.get("/calendar/{year}", response_model=CalendarYear)
async def get_calendar(deps: Deps, year: Annotated[
        int, Path(ge=EARLIEST_DATE.year, le=LATEST_DATE.year)]) -> CalendarYear:
    """Weekdays that are not working days (holidays, swaps) and Saturdays worked instead,
    each deviation with its source, the year's announcements, and the warning before
    holiday periods not yet confirmed."""
    watch = deps.calendar_watch
    return CalendarYear(
        year=year,
        non_working_weekdays=[NamedDay(date=d, name=n)
                              for d, n in deps.calendar.non_working_weekdays(year)],
        makeup_working_days=[NamedDay(date=d, name=n)
                             for d, n in deps.calendar.makeup_working_days(year)],
        calendar_version=deps.calendar.version,
        deviations=[DeviationView(date=d.date, working=d.working, name=d.name, source=d.source)
                    for d in deps.calendar.deviations(year)],
        announcements=list(deps.calendar.announcements.get(year, ())),
        warnings=watch.notices() if watch is not None else [],
    )
