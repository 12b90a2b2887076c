"""What processing's use cases need, assembled once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import asyncpg

from services.processing.clock import Terms, at_risk_until, business_date
from shared.catalog import Catalog, CatalogError
from shared.messaging import PermanentError
from shared.workdays import WorkingCalendar


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    calendar: WorkingCalendar
    catalog: Catalog
    at_risk_working_days: int = 1
    now: Callable[[], datetime] = field(default=_utc_now)

    def sla_dates(self, at: datetime) -> tuple[date, date]:
        """Today's business date and the last committed date that counts as near."""
        today = business_date(at)
        return today, at_risk_until(self.calendar, today, self.at_risk_working_days)

    def terms(self, catalog_version: str, procedure_code: str) -> Terms:
        """The procedure's rules in the version the dossier was received under."""
        try:
            procedure = self.catalog.version(catalog_version).procedure(procedure_code)
        except CatalogError as unknown:
            raise PermanentError(str(unknown)) from unknown
        if procedure is None:
            raise PermanentError(f"catalog {catalog_version} has no procedure {procedure_code}")
        return Terms.of(procedure)

    def departments(self, catalog_version: str) -> set[str]:
        return set(self.catalog.version(catalog_version).department_codes)
