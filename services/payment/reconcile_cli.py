"""``python -m services.payment reconcile --date YYYY-MM-DD [--csv PATH] [--file PATH]``: the
day's reconciliation, run by hand (the service runs it every day by itself). The report is
printed as a table and, with ``--csv``, written as CSV; ``--file`` reconciles a settlement
file downloaded from the merchant portal instead of fetching it from the gateway."""

from __future__ import annotations

import argparse
import asyncio
import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TextIO

import httpx

from services.payment.adapters import settlement
from services.payment.adapters.gateway import Merchant, VnpayGateway
from services.payment.deps import PaymentDeps
from services.payment.domain.reconcile import REPORT_COLUMNS, Line
from services.payment.handlers.reconcile import reconcile
from services.payment.settings import PaymentSettings
from shared.reference.catalog import load_catalog
from shared.runtime.db import create_pool
from shared.runtime.logging import configure_logging
from shared.runtime.outbox import Transactions


def table(lines: Sequence[Line], out: TextIO) -> None:
    rows = [REPORT_COLUMNS, *(line.row() for line in lines)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(REPORT_COLUMNS))]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                      strict=True)).rstrip())
        out.write("\n")


def write_csv(lines: Sequence[Line], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(line.row() for line in lines)


async def run(day: date, settings: PaymentSettings, *, report: Path | None = None,
              file: Path | None = None, out: TextIO) -> list[Line]:
    pool = await create_pool(settings.service_database_url, **settings.pool_options)
    tmn_code, secret = settings.merchant()
    try:
        async with httpx.AsyncClient(base_url=settings.gateway_url,
                                     timeout=settings.gateway_timeout_s) as client:
            deps = PaymentDeps(transactions=Transactions(pool, "payment"),
                               catalog=load_catalog(), base_url=settings.base_url,
                               gateway=VnpayGateway(client, Merchant(tmn_code, secret, "")))
            lines = await reconcile(day, deps, settlement.read(file) if file else None)
    finally:
        await pool.close()
    table(lines, out)
    if report is not None:
        write_csv(lines, report)
    return lines


def main(argv: Sequence[str], out: TextIO) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.payment reconcile")
    parser.add_argument("--date", required=True, type=date.fromisoformat,
                        help="the settlement day, GMT+7 (YYYY-MM-DD)")
    parser.add_argument("--csv", type=Path, help="write the report there too")
    parser.add_argument("--file", type=Path, help="a settlement file from the portal")
    args = parser.parse_args(argv)
    settings = PaymentSettings()
    configure_logging("payment", fmt=settings.log_format, level=settings.log_level)
    lines = asyncio.run(run(args.date, settings, report=args.csv, file=args.file, out=out))
    return exit_code(lines)


def exit_code(lines: Sequence[Line]) -> int:
    """1 when the operator has something to look at."""
    return 1 if any(line.kind != "matched" for line in lines) else 0
