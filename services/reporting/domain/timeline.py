"""A dossier's clock: its due date under given terms, how it met it, and how long it took,
all counted on the real working-day calendar (shared.reference.workdays).

The pause rule is the calendar's (``WorkingCalendar.resumed_due``), the one processing counts
by. A fee pause always resumes the remaining days; a supplement pause follows the procedure's
``supplement_policy`` (``resume`` the remaining days, or ``restart`` the full period, never
shortening the date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache

from services.reporting.domain.facts import DossierFacts
from shared.reference.catalog import Catalog, CatalogError, Procedure, load_catalog
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar, classify


@dataclass(frozen=True)
class Terms:
    """The rules a dossier's clock runs under."""

    committed_days: int
    supplement_policy: str = "resume"
    cutoff: time = time(17)


@cache
def catalog() -> Catalog:
    """The catalog data set in use (``CATALOG_PATH`` or ``CATALOG_DATASET``), loaded once."""
    return load_catalog()


def procedure_of(facts: DossierFacts, version_id: str | None = None) -> Procedure | None:
    """The dossier's procedure in the catalog version it was received under (or in
    ``version_id``); None when the catalog no longer knows either."""
    try:
        version = catalog().version(version_id or facts.catalog_version or "")
    except CatalogError:
        return None
    return version.procedure(facts.procedure or "")


def terms_of(facts: DossierFacts, committed_days: int | None = None,
             version_id: str | None = None) -> Terms:
    """The dossier's terms from the catalog version it was received under (or ``version_id``,
    a proposed one), ``committed_days`` overriding the period when given."""
    procedure = procedure_of(facts, version_id)
    if committed_days is not None:
        days = committed_days
    elif version_id is not None and procedure is not None:
        days = procedure.committed_days
    else:
        days = facts.committed_days or 0
    if procedure is None:
        return Terms(days)
    return Terms(days, procedure.supplement_policy, procedure.cutoff)


def due_under(facts: DossierFacts, terms: Terms, calendar: WorkingCalendar) -> date | None:
    """The committed date the dossier would have had under ``terms``: receipt, then each
    pause that ended, by its policy. Apology letters are not re-played (they answer a delay
    under the terms in force, and a proposal is asked before any delay)."""
    if facts.received_at is None:
        return None
    due = calendar.due_date(facts.received_at, terms.committed_days, terms.cutoff)
    for pause in facts.pauses:
        if pause.resumed_at is None:
            continue
        policy = "resume" if pause.because == "fee" else terms.supplement_policy
        due = calendar.resumed_due(due=due, days=terms.committed_days, policy=policy,
                                   cutoff=terms.cutoff, received_at=facts.received_at,
                                   paused_at=pause.paused_at, resumed_at=pause.resumed_at)
    return due


def sla(facts: DossierFacts) -> str | None:
    """Early, on time or late: what the producer recorded, else the decision's business date
    against the committed date in force (after any apology letter)."""
    if facts.decided_at is None:
        return None
    if facts.sla_recorded:
        return facts.sla_recorded
    if facts.due is None:
        return None
    return classify(facts.decided_at, facts.due).value


def business_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def processing_days(facts: DossierFacts, calendar: WorkingCalendar,
                    cutoff: time = time(17)) -> int | None:
    """Working days from the day the receipt counts on to the decision's date, less the
    working days the clock stood still."""
    if facts.decided_at is None or facts.received_at is None:
        return None
    start = calendar.counted_from(facts.received_at, cutoff)
    total = calendar.working_days_between(start, business_date(facts.decided_at))
    for pause in facts.pauses:
        if pause.resumed_at is not None:
            total -= calendar.working_days_between(business_date(pause.paused_at),
                                                   calendar.counted_from(pause.resumed_at, cutoff))
    return max(total, 0)


def signed_working_days(calendar: WorkingCalendar, start: date, end: date) -> int:
    """Working days from ``start`` to ``end``; negative when ``end`` is before ``start``."""
    if end >= start:
        return calendar.working_days_between(start, end)
    return -calendar.working_days_between(end, start)
