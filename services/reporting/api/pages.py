"""The dashboard (the service's root URL) and the what-if page, in Vietnamese."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from services.reporting import pages
from services.reporting.api.deps import Deps
from services.reporting.domain.whatif import WhatIfError
from services.reporting.handlers import reports
from services.reporting.schemas import REFUSED_PAGE, IndicatorQuery, WhatIfQuery

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, summary="Bảng theo dõi chỉ số (QĐ 766)",
            responses=REFUSED_PAGE)
async def dashboard(q: Annotated[IndicatorQuery, Query()], request: Request,
                    deps: Deps) -> HTMLResponse:
    report = await reports.indicator_report(deps, q)
    return HTMLResponse(pages.dashboard(report, reports.catalog_names(),
                                        dict(request.query_params)))


@router.get("/what-if", response_class=HTMLResponse, summary="Mô phỏng thời hạn (what-if)")
async def what_if(request: Request, deps: Deps) -> HTMLResponse:
    params = dict(request.query_params)
    if not params.get("procedure"):
        return HTMLResponse(pages.what_if_page(params, None))
    try:
        q = WhatIfQuery.model_validate({k: v for k, v in params.items() if v != ""})
        report = await reports.what_if_report(deps, q)
    except (ValueError, WhatIfError) as error:  # pydantic's ValidationError is a ValueError
        return HTMLResponse(pages.what_if_page(params, None, str(error)), status_code=422)
    return HTMLResponse(pages.what_if_page(params, report))
