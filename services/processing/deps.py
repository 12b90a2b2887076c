"""What processing's use cases need, assembled once by the composition root."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import asyncpg

from services.processing.adapters.documents import LocalDocuments
from services.processing.domain.clock import Terms, at_risk_until, business_date
from services.processing.officers import OfficerDirectory, SignInLimits
from services.processing.tokens import TokenService
from shared.reference.calendar import CalendarWatch
from shared.reference.catalog import Catalog, CatalogError
from shared.reference.workdays import WorkingCalendar
from shared.runtime.consumer import PermanentError
from shared.runtime.outbox import Transactions


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    pool: asyncpg.Pool
    transactions: Transactions  # units of work whose events name processing as producer
    calendar: WorkingCalendar
    catalog: Catalog
    officers: OfficerDirectory = field(default_factory=lambda: OfficerDirectory([]))
    tokens: TokenService | None = None
    sign_in_limits: SignInLimits = field(default_factory=SignInLimits)
    trusted_proxies: tuple[str, ...] = ()  # whose X-Forwarded-For names the client
    at_risk_working_days: int = 1
    deadline_scan_interval_s: float = 60.0
    metrics_interval_s: float = 5.0  # how often the SLA gauge is read from the database
    now: Callable[[], datetime] = field(default=_utc_now)
    calendar_watch: CalendarWatch | None = None  # the warning before unconfirmed days
    # The officer console (api/console): the key of its session cookie and CSRF tokens
    # (replicas share it: bootstrap derives it from the token secret), the document store
    # it opens citizens' documents from, and how often its queue looks for new work.
    session_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    documents: LocalDocuments | None = None
    console_refresh_s: float = 15.0
    # A catalog version never changes once published: its terms are built once per procedure.
    _terms: dict[tuple[str, str], Terms] = field(default_factory=dict, init=False, repr=False,
                                                 compare=False)

    def sla_dates(self, at: datetime) -> tuple[date, date]:
        """Today's business date and the last committed date that counts as near."""
        today = business_date(at)
        return today, at_risk_until(self.calendar, today, self.at_risk_working_days)

    def terms(self, catalog_version: str, procedure_code: str) -> Terms:
        """The procedure's rules in the version the dossier was received under."""
        terms = self._terms.get((catalog_version, procedure_code))
        if terms is None:
            terms = self._terms[catalog_version, procedure_code] = self._read_terms(
                catalog_version, procedure_code)
        return terms

    def _read_terms(self, catalog_version: str, procedure_code: str) -> Terms:
        try:
            procedure = self.catalog.version(catalog_version).procedure(procedure_code)
        except CatalogError as unknown:
            raise PermanentError(str(unknown)) from unknown
        if procedure is None:
            raise PermanentError(f"catalog {catalog_version} has no procedure {procedure_code}")
        return Terms.of(procedure)

    def departments(self, catalog_version: str) -> set[str]:
        return set(self.catalog.version(catalog_version).department_codes)
