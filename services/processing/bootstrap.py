"""Processing's composition root: catalog, calendar, officers, tokens, consumers, scanner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import structlog

from services.processing.adapters.documents import LocalDocuments
from services.processing.api import auth, console, dossiers, queue
from services.processing.api import forms as printed_forms
from services.processing.consumers import subscriptions
from services.processing.deps import Deps
from services.processing.domain.errors import (
    CaseNotFound,
    ConcurrentChange,
    InvalidAction,
    NoResultDocument,
)
from services.processing.handlers.calendar import recompute_deadlines, record_calendar
from services.processing.handlers.deadlines import scan_deadlines
from services.processing.handlers.sla_gauge import watch_sla_states
from services.processing.officers import OfficerDirectory, SignInLimits
from services.processing.settings import ProcessingSettings
from services.processing.tokens import token_service
from shared.reference.calendar import CalendarWatch, calendar_notices, watch_calendar
from shared.reference.catalog import load_catalog
from shared.reference.workdays import WorkingCalendar
from shared.runtime.effects import drain_forever
from shared.runtime.service import Platform, ServiceSpec

log = structlog.get_logger(__name__)
SCAN_BATCH = 100
OFFICERS_RELOAD_S = 10.0


def officer_directory(settings: ProcessingSettings, department_codes: set[str]
                      ) -> OfficerDirectory:
    if settings.officers_file is not None:
        return OfficerDirectory.from_file(settings.officers_file)
    if settings.environment == "development":
        return OfficerDirectory.development(department_codes)
    return OfficerDirectory([])


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[Deps]:
    settings: ProcessingSettings = platform.settings
    catalog = load_catalog()
    departments = {code for version in catalog.versions for code in version.department_codes}
    directory = officer_directory(settings, departments)
    tokens = token_service(settings.token_secret, settings.environment, settings.token_ttl_s)
    log.info("officer accounts loaded", officers=len(directory),
             source=str(settings.officers_file or settings.environment))
    calendar = WorkingCalendar.default()
    watch = CalendarWatch(calendar, horizon_days=settings.calendar_warning_days,
                          interval_s=settings.calendar_check_interval_s)
    deps = Deps(pool=platform.pool, transactions=platform.transactions,
                calendar=calendar, calendar_watch=watch, catalog=catalog, officers=directory,
                tokens=tokens,
                sign_in_limits=SignInLimits(settings.sign_in_attempts_per_account,
                                            settings.sign_in_attempts_per_client,
                                            settings.sign_in_window_s),
                trusted_proxies=tuple(h.strip() for h in settings.trusted_proxies.split(",")
                                      if h.strip()),
                at_risk_working_days=settings.at_risk_working_days,
                deadline_scan_interval_s=settings.deadline_scan_interval_s,
                session_key=tokens.derived_key(b"console-session"),
                documents=LocalDocuments(settings.document_dir) if settings.document_dir
                else None,
                console_refresh_s=settings.console_refresh_s,
                metrics_interval_s=settings.metrics_interval_s)
    # Before any consumer writes a case under it: its days, to count them again one day.
    await record_calendar(deps)
    yield deps


async def watch_deadlines(deps: Deps) -> None:
    step = partial(scan_deadlines, deps, SCAN_BATCH)
    await drain_forever(deps.pool, step, channel="processing_deadlines",
                        interval_s=deps.deadline_scan_interval_s, batch_size=SCAN_BATCH,
                        notifications=deps.transactions.notifications)


async def follow_calendar(deps: Deps) -> None:
    """At start-up: open dossiers computed under another calendar are counted again."""
    await recompute_deadlines(deps, SCAN_BATCH)


async def watch_officers(deps: Deps) -> None:
    """A changed officers file is in force within seconds, without a restart; an officer
    whose password changed there is signed out (services.processing.tokens)."""
    if deps.officers.source is None:
        return
    while True:
        await asyncio.sleep(OFFICERS_RELOAD_S)
        try:
            if deps.officers.reload():
                log.info("officer accounts reloaded", officers=len(deps.officers))
        except ValueError as invalid:
            log.warning("officers file not reloaded; the accounts in force stay",
                        error=str(invalid))


# Each domain error's HTTP answer, for the whole app: ``{"detail": str(error)}`` with this
# status. The action route answers ConflictWithState itself (a 409 that also gives the
# dossier's status, allowed actions and version), and the sign-in dependency the 401s (which
# carry the Bearer challenge).
ERRORS: dict[type[Exception], int] = {
    CaseNotFound: 404,
    NoResultDocument: 404,
    ConcurrentChange: 409,
    InvalidAction: 422,
}

SPEC = ServiceSpec(
    name="processing",
    title="Một Cửa — processing",
    description="Departments' work queues and the officers' workflow. Officers sign in at "
                "POST /v1/auth/token and send the token as 'Authorization: Bearer <token>'.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    routers=[auth.router, queue.router, dossiers.router, printed_forms.router, console.router],
    background=[watch_deadlines, watch_officers, follow_calendar, watch_calendar,
                watch_sla_states],
    errors=ERRORS,
    notices=calendar_notices,
)
