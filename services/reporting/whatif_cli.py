"""``python -m services.reporting what-if --procedure 2.002189 --days 5 --from … --to …``:
the what-if report of a procedure, read from the current build; it changes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from services.reporting.deps import ReportingDeps
from services.reporting.handlers import reports
from services.reporting.repository import builds
from services.reporting.schemas import WhatIfQuery
from services.reporting.settings import ReportingSettings
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar
from shared.runtime.db import create_pool
from shared.runtime.outbox import Transactions


async def answer(settings: ReportingSettings, query: WhatIfQuery) -> dict[str, object]:
    pool = await create_pool(settings.service_database_url,
                             **{**settings.pool_options, "min_size": 1, "max_size": 1})
    try:
        await builds.current(pool)
        from datetime import datetime

        deps = ReportingDeps(pool=pool, transactions=Transactions(pool, "reporting"),
                             calendar=WorkingCalendar.default(),
                             today=lambda: datetime.now(BUSINESS_TZ).date())
        return await reports.what_if_report(deps, query)
    finally:
        await pool.close()


def render(report: dict[str, object]) -> str:
    rows = report["rows"]
    assert isinstance(rows, list)
    lines = [f"procedure {report['procedure']} {report['procedure_name'] or ''}".rstrip(),
             f"period {report['from']} .. {report['to']}: {report['decided']} decided; "
             f"committed now {report['committed_days_now']} days, proposed "
             f"{report['proposed_days']} days",
             f"late now: {len(report['late_now'])}  late under the proposal: "  # type: ignore[arg-type]
             f"{len(report['late_proposed'])}",  # type: ignore[arg-type]
             f"{'code':<25} {'received':<11} {'decided':<11} {'due now':<11} "
             f"{'due proposed':<13} now   proposed"]
    for r in rows:
        lines.append(f"{r['code']:<25} {r['received_on']}  {r['decided_on']}  "
                     f"{r['due_now'] or '-':<10}  {r['due_proposed']}    "
                     f"{'late' if r['late_now'] else 'ok  '}  "
                     f"{'late' if r['late_proposed'] else 'ok'}")
    return "\n".join(lines)


def main(settings: ReportingSettings, *, procedure: str, days: int | None,
         catalog_version: str | None, agency: str | None, start: date | None,
         end: date | None, as_json: bool) -> int:
    query = WhatIfQuery.model_validate({"procedure": procedure, "days": days,
                                        "catalog_version": catalog_version, "agency": agency,
                                        "from": start, "to": end})
    report = asyncio.run(answer(settings, query))
    print(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))
    return 0
