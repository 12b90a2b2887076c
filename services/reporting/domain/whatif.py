"""What-if: under a proposed committed time (N days, or a proposed catalog version's), which
dossiers of a period would have been late? Each decided dossier's recorded timeline (receipt,
pauses with their policy, decision) is re-run under the proposed terms on the real working-day
calendar. Pure: it reads facts and returns a report; nothing live is touched."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.reporting.domain.facts import DossierFacts
from services.reporting.domain.periods import Window
from services.reporting.domain.timeline import (
    business_date,
    catalog,
    due_under,
    sla,
    terms_of,
)
from shared.reference.catalog import CatalogError, Procedure
from shared.reference.workdays import WorkingCalendar, classify


@dataclass(frozen=True)
class Row:
    code: str
    received_on: date
    decided_on: date
    due_now: date | None
    due_proposed: date
    late_now: bool
    late_proposed: bool


@dataclass
class ProcedureReport:
    procedure: str
    procedure_name: str | None
    committed_days_now: list[int]
    proposed_days: int
    rows: list[Row] = field(default_factory=list)

    @property
    def late_now(self) -> list[str]:
        return [r.code for r in self.rows if r.late_now]

    @property
    def late_proposed(self) -> list[str]:
        return [r.code for r in self.rows if r.late_proposed]

    @property
    def newly_late(self) -> list[str]:
        return [r.code for r in self.rows if r.late_proposed and not r.late_now]

    def as_json(self) -> dict[str, object]:
        return {
            "procedure": self.procedure, "procedure_name": self.procedure_name,
            "committed_days_now": self.committed_days_now, "proposed_days": self.proposed_days,
            "decided": len(self.rows), "late_now": self.late_now,
            "late_proposed": self.late_proposed, "newly_late": self.newly_late,
            "rows": [{"code": r.code, "received_on": r.received_on.isoformat(),
                      "decided_on": r.decided_on.isoformat(),
                      "due_now": r.due_now.isoformat() if r.due_now else None,
                      "due_proposed": r.due_proposed.isoformat(),
                      "late_now": r.late_now, "late_proposed": r.late_proposed}
                     for r in self.rows],
        }


class WhatIfError(ValueError):
    """A question the what-if cannot answer (neither days nor a version, or both, or a
    version the catalog does not have)."""


def proposed_procedure(version_id: str, procedure: str) -> Procedure | None:
    try:
        return catalog().version(version_id).procedure(procedure)
    except CatalogError as error:
        raise WhatIfError(str(error)) from error


def what_if(dossiers: Iterable[DossierFacts], procedure: str, window: Window,
            calendar: WorkingCalendar, *, days: int | None = None,
            catalog_version: str | None = None) -> ProcedureReport:
    """The report for ``procedure``: dossiers received in ``window`` and decided, late now
    (against the committed date in force) vs late under the proposal."""
    if (days is None) == (catalog_version is None):
        raise WhatIfError("give either a number of days or a proposed catalog version")
    if days is not None and not 0 <= days <= 365:
        raise WhatIfError("days must be between 0 and 365")
    if catalog_version is not None:
        proposed = proposed_procedure(catalog_version, procedure)
        if proposed is None:
            raise WhatIfError(f"catalog version {catalog_version!r} has no procedure "
                              f"{procedure!r}")
    chosen = sorted((f for f in dossiers
                     if f.procedure == procedure and f.decided_at and f.received_at
                     and business_date(f.received_at) in window),
                    key=lambda f: (f.received_at, f.code or ""))
    now_days = sorted({f.committed_days for f in chosen if f.committed_days is not None})
    report = ProcedureReport(procedure, chosen[0].procedure_name if chosen else None, now_days,
                             days if days is not None else -1)
    for f in chosen:
        terms = terms_of(f, committed_days=days, version_id=catalog_version)
        report.proposed_days = terms.committed_days
        due = due_under(f, terms, calendar)
        assert due is not None and f.decided_at is not None
        report.rows.append(Row(
            code=f.code or str(f.dossier_id), received_on=business_date(f.received_at),
            decided_on=business_date(f.decided_at), due_now=f.due,
            due_proposed=due, late_now=sla(f) == "late",
            late_proposed=classify(f.decided_at, due).value == "late"))
    return report
