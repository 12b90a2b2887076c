"""Intake's projection: every event about a dossier, whoever produced it, joins its timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.intake import repository
from services.intake.domain import timeline_detail
from shared.contracts.events import Envelope, Event
from shared.contracts.status import DossierStatus
from shared.runtime.outbox import UnitOfWork

_KNOWN_STATUSES = {s.value for s in DossierStatus}


async def record_in_timeline(event: Event | None, envelope: Envelope, uow: UnitOfWork) -> None:
    """A status in the event becomes the dossier's status; a new committed date (at
    acceptance, or from an apology letter) becomes its due date."""
    payload: dict[str, Any] = envelope.payload
    status = payload.get("status")
    detail = timeline_detail(payload)
    if status not in _KNOWN_STATUSES:
        if isinstance(status, str):  # a message's or a parcel's own state, not the dossier's
            detail["delivery_status"] = status[:40]
        status = None  # or a status from a newer producer: keep the entry, not the status
    await repository.add_to_timeline(
        uow.conn, envelope, status, detail, _new_due_date(payload)
    )


def _new_due_date(payload: dict[str, Any]) -> date | None:
    value = payload.get("new_due_date") or payload.get("due_date")
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
