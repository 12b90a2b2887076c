"""``python -m services.processing.recompute``: count the dates of open dossiers again under
the calendar in force, without restarting the service (after ``python -m
shared.reference.calendar add``). The events it writes go out through the outbox, relayed by
the running service; the running service keeps the calendar it started with for new
dossiers until it restarts."""

from __future__ import annotations

import asyncio

from services.processing.deps import Deps
from services.processing.handlers.calendar import recompute_deadlines
from services.processing.settings import ProcessingSettings
from shared.reference.catalog import load_catalog
from shared.reference.workdays import WorkingCalendar
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.runtime.outbox import Transactions

SERVICE = "processing"


async def main() -> int:
    from services.processing.bootstrap import SPEC

    settings = ProcessingSettings()
    url = settings.service_database_url
    await migrate(settings.service_database_direct_url,
                  migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(url, **{**settings.pool_options, "min_size": 1, "max_size": 2})
    try:
        calendar = WorkingCalendar.default()
        deps = Deps(pool=pool, transactions=Transactions(pool, SERVICE), calendar=calendar,
                    catalog=load_catalog())
        moved = await recompute_deadlines(deps)
    finally:
        await pool.close()
    print(f"calendar {calendar.version}: {moved} open dossier(s) got a later date")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
