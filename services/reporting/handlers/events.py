"""An event of any topic is recorded in the current build (once, by its id) and its dossier's
facts are folded again. The inbox (EventDispatch) already drops a redelivery; the event's id
in the build keeps a replay idempotent too."""

from __future__ import annotations

from services.reporting.repository import builds, facts
from shared.contracts.events import Envelope, Event
from shared.runtime.outbox import UnitOfWork


async def on_event(event: Event | None, envelope: Envelope, uow: UnitOfWork) -> None:
    schema = await builds.current(uow.conn, share_lock=True)
    if await facts.record(uow.conn, schema, envelope):
        await facts.refold(uow.conn, schema, [envelope.dossier_id])
