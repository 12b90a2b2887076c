"""Routing on a real database: a submission delivered twice at once (two replicas after a
rebalance, or a redelivery) makes one case and one work item."""

from __future__ import annotations

import asyncio
import json

import pytest

from services.processing.handlers.events import on_dossier_submitted
from tests.integration.processing.support import MONDAY, submission

pytestmark = pytest.mark.integration


async def test_a_submission_delivered_to_two_replicas_at_once_is_routed_once(deps, pool) -> None:
    event, envelope = submission("2.002189", MONDAY)
    entered = asyncio.Barrier(2)

    async def replica() -> None:
        async with deps.transactions(envelope) as uow:
            await entered.wait()  # both transactions are open before either inserts
            await on_dossier_submitted(deps, event, envelope, uow)
            await uow.commit()

    await asyncio.gather(replica(), replica())
    assert await pool.fetchval("SELECT count(*) FROM dossier_case") == 1
    rows = await pool.fetch("SELECT topic, payload FROM outbox_message ORDER BY id")
    sent = [(r["topic"], json.loads(bytes(r["payload"]))["event_type"]) for r in rows]
    assert sent == [("dossier.events", "DossierAccepted"), ("department.tp.work", "WorkItemQueued")]
    assert await pool.fetchval("SELECT count(*) FROM case_audit") == 2  # register, accept
