"""Reporting's composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from services.reporting.api import ROUTERS
from services.reporting.consumers import TOPICS, subscriptions
from services.reporting.deps import ReportingDeps
from services.reporting.domain.periods import PeriodError
from services.reporting.domain.whatif import WhatIfError
from services.reporting.handlers import events
from services.reporting.repository import builds
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar
from shared.runtime.service import Platform, ServiceSpec


def business_today() -> datetime:
    return datetime.now(BUSINESS_TZ)


@asynccontextmanager
async def assemble(platform: Platform) -> AsyncIterator[ReportingDeps]:
    await builds.ensure_current(platform.pool)  # before the consumer's first event
    yield ReportingDeps(pool=platform.pool, transactions=platform.transactions,
                        calendar=WorkingCalendar.default(),
                        today=lambda: business_today().date())


SPEC = ServiceSpec(
    name="reporting",
    title="Một Cửa — reporting",
    description="The QĐ 766 indicators, satisfaction and what-if, built only from the events "
                "of every topic, in a read model that `python -m services.reporting rebuild` "
                "rebuilds from the topics.",
    migrations=Path(__file__).parent / "migrations",
    assemble=assemble,
    subscriptions=subscriptions,
    routers=ROUTERS,
    background=[events.fold_continuously],
    errors={PeriodError: 422, WhatIfError: 422, LookupError: 503},
)

__all__ = ["SPEC", "TOPICS"]
