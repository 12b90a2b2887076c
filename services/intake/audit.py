"""``verify``: recompute a dossier's audit chain and name its first bad entry.

Intake's timeline (``dossier_timeline``) is append-only (triggers refuse UPDATE, DELETE and
TRUNCATE) and each dossier's entries form a hash chain, built by the database as they are
inserted (migration 0010). ``verify`` recomputes it there (``verify_timeline``) and reports
the first entry that was edited, removed, inserted or reordered behind the triggers' back,
and the head hash now, to compare with one published earlier (receipt, tracking page,
portal's view). The verification is the shared one (``shared.runtime.audit_chain``), as
the officers' endpoint runs it::

    python -m services.intake.audit VTH-250123-0001 [...]   # exit 1 when a chain is broken
    python -m services.intake.audit --all
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid

import asyncpg

from services.intake.settings import IntakeSettings
from shared.runtime.audit_chain import TIMELINE, ChainReport, verify_chain


async def verify_dossier(conn: asyncpg.Connection, code: str) -> ChainReport | None:
    """The dossier's chain, recomputed; None for an unknown code."""
    dossier_id: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM dossier WHERE code = $1", code)
    if dossier_id is None:
        return None
    return await verify_chain(conn, TIMELINE, dossier_id, code)


async def _run(url: str, codes: list[str], every: bool) -> int:
    conn = await asyncpg.connect(url)
    try:
        if every:
            codes = [r["code"] for r in await conn.fetch("SELECT code FROM dossier ORDER BY code")]
        broken = 0
        for code in codes:
            report = await verify_dossier(conn, code)
            if report is None:
                print(json.dumps({"dossier_code": code, "problem": "no such dossier"}))
                broken += 1
                continue
            broken += not report.intact
            print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 1 if broken else 0
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(prog="python -m services.intake.audit", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("codes", nargs="*", help="dossier codes")
    cli.add_argument("--all", action="store_true", help="every dossier")
    args = cli.parse_args(argv)
    if not args.codes and not args.all:
        cli.error("name a dossier code, or --all")
    url = IntakeSettings(environment="development").service_database_url  # keys unneeded
    return asyncio.run(_run(url, args.codes, args.all))


if __name__ == "__main__":
    sys.exit(main())
