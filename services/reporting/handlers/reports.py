"""Reports read from the current build: the indicators of a period and its sub-periods, per
department and procedure, and the what-if of a procedure. Nothing here writes."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting.deps import ReportingDeps
from services.reporting.domain import indicators, periods, whatif
from services.reporting.handlers import events
from services.reporting.repository import builds, facts
from services.reporting.schemas import IndicatorQuery, WhatIfQuery


def window_of(start: date | None, end: date | None, today: date) -> periods.Window:
    end = end or today
    return periods.window(start or date(end.year, 1, 1), end)


async def indicator_report(deps: ReportingDeps, q: IndicatorQuery) -> dict[str, Any]:
    today = deps.today()
    whole = window_of(q.from_, q.to, today)
    await events.fold_pending(deps.pool)  # what the consumer recorded counts at once
    async with deps.pool.acquire() as conn:
        schema = await builds.current(conn)
        dossiers = await facts.load(conn, schema, agency=q.agency, department=q.department,
                                    procedure=q.procedure, received_by=max(whole.end, today))
    count = {"today": today, "calendar": deps.calendar}
    return {
        "source": indicators.formulas()["source"],
        "filters": {"agency": q.agency, "department": q.department, "procedure": q.procedure},
        "from": whole.start.isoformat(), "to": whole.end.isoformat(), "period": q.period,
        "today": today.isoformat(), "build": schema,
        "groups": indicators.formulas()["groups"],
        "total": indicators.compute(dossiers, whole, **count),
        "periods": [{"period": w.label, "from": w.start.isoformat(), "to": w.end.isoformat(),
                     "indicators": indicators.compute(dossiers, w, **count)}
                    for w in periods.split(whole, q.period)],
        "by_department": indicators.breakdown(dossiers, lambda f: f.department, whole, **count),
        "by_procedure": indicators.breakdown(dossiers, lambda f: f.procedure, whole, **count),
    }


async def what_if_report(deps: ReportingDeps, q: WhatIfQuery) -> dict[str, Any]:
    whole = window_of(q.from_, q.to, deps.today())
    await events.fold_pending(deps.pool)
    async with deps.pool.acquire() as conn:
        schema = await builds.current(conn)
        dossiers = await facts.load(conn, schema, agency=q.agency, procedure=q.procedure,
                                    received_by=whole.end)
    report = whatif.what_if(dossiers, q.procedure, whole, deps.calendar, days=q.days,
                            catalog_version=q.catalog_version)
    return {"from": whole.start.isoformat(), "to": whole.end.isoformat(), "build": schema,
            **report.as_json()}


def catalog_names() -> dict[str, str]:
    """Department and procedure codes → their Vietnamese names, from every catalog version."""
    from shared.reference.catalog import load_catalog

    names: dict[str, str] = {}
    for version in load_catalog().versions:
        names.update({d.code: d.name for d in version.agency.departments})
        names.update({p.code: p.name for p in version.procedures})
    return names
