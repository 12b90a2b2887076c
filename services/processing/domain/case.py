"""A dossier as the department works on it, without I/O: :class:`Case`, every transition a
method of it. Each transition checks first and changes second, so a refused one leaves the
case as it was; it then records the events it caused and an audit entry, which the use case
writes with the new state in one statement.

Its state and receipt are in :mod:`.state`, what officers do in :mod:`.officer_actions`, what
happens by itself (citizen, fee, carrier, deadlines) in :mod:`.reactions`.
"""

from __future__ import annotations

import uuid

from services.processing.domain.clock import Terms
from services.processing.domain.officer_actions import OfficerActions
from services.processing.domain.reactions import Reactions
from services.processing.domain.trail import SYSTEM
from shared.contracts.events import DossierSubmitted
from shared.reference.workdays import WorkingCalendar


class Case(OfficerActions, Reactions):
    @classmethod
    def register(cls, dossier_id: uuid.UUID, submitted: DossierSubmitted, terms: Terms,
                 calendar: WorkingCalendar) -> Case:
        """A submitted dossier reaches its department; received at once where allowed."""
        case = cls(
            id=dossier_id, code=submitted.dossier_code, procedure_code=submitted.procedure_code,
            procedure_name=submitted.procedure_name, department_code=submitted.department_code,
            applicant_name=submitted.applicant.full_name, fee=submitted.fee,
            return_method=submitted.return_method, catalog_version=submitted.catalog_version,
            terms=terms, submitted_at=submitted.received_at, due_date=submitted.due_date,
            calendar_version=calendar.version,
        )
        case.note("register", SYSTEM, None)
        if terms.auto_accept:  # intake computed this very due date for the citizen's receipt
            case.receive(SYSTEM, submitted.received_at, calendar, due=submitted.due_date)
        return case
