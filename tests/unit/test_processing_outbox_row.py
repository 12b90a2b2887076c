"""Processing writes its outbox rows in the statement that writes the case: each row must be
the one shared.outbox's UnitOfWork.record would write, since the relay reads them alike."""

from __future__ import annotations

import json
import uuid

from services.processing.repository import outbox_row
from shared.events import DossierProcessingStarted, Envelope
from shared.outbox import UnitOfWork


async def test_an_outbox_row_is_the_one_the_unit_of_work_would_record() -> None:
    started = DossierProcessingStarted(dossier_code="VTH-1", actor_role="specialist")
    envelope = Envelope.wrap(started, dossier_id=uuid.uuid4(), producer="processing",
                             dossier_code="VTH-1")
    uow = UnitOfWork(pool=None)  # type: ignore[arg-type] - record() touches no connection
    await uow.record("dossier.events", envelope)
    (event_id, topic, key, payload, headers), = uow._recorded
    ours = outbox_row("dossier.events", envelope)
    assert ours[:4] == (event_id, topic, key, payload)
    assert json.loads(ours[4]) == headers
