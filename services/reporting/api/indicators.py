"""The indicators (QĐ 766) as JSON and as the periodic report's CSV and XLSX, and the
what-if as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from services.reporting import exports
from services.reporting.api.deps import Deps
from services.reporting.handlers import reports
from services.reporting.schemas import REFUSED, IndicatorQuery, WhatIfQuery

router = APIRouter(prefix="/v1", tags=["reporting"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/indicators", summary="The QĐ 766 indicators of a period, per sub-period, "
            "department and procedure", responses=REFUSED)
async def indicators(q: Annotated[IndicatorQuery, Query()], deps: Deps) -> dict[str, Any]:
    return await reports.indicator_report(deps, q)


def _filename(report: dict[str, Any], ext: str) -> str:
    return f'attachment; filename="bao-cao-{report["from"]}-{report["to"]}.{ext}"'


@router.get("/indicators.csv", summary="The periodic report as CSV",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}, **REFUSED})
async def indicators_csv(q: Annotated[IndicatorQuery, Query()], deps: Deps) -> Response:
    report = await reports.indicator_report(deps, q)
    return Response(exports.to_csv(report, reports.catalog_names()),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": _filename(report, "csv")})


@router.get("/indicators.xlsx", summary="The periodic report as an Excel workbook",
            response_class=Response, responses={200: {"content": {XLSX: {}}}, **REFUSED})
async def indicators_xlsx(q: Annotated[IndicatorQuery, Query()], deps: Deps) -> Response:
    report = await reports.indicator_report(deps, q)
    return Response(exports.to_xlsx(report, reports.catalog_names()), media_type=XLSX,
                    headers={"Content-Disposition": _filename(report, "xlsx")})


@router.get("/what-if", summary="Which dossiers would have been late under a proposed "
            "committed time (re-run on the recorded timelines; changes nothing)",
            responses=REFUSED)
async def what_if(q: Annotated[WhatIfQuery, Query()], deps: Deps) -> dict[str, Any]:
    return await reports.what_if_report(deps, q)
