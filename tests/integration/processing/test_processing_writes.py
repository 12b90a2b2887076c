"""A transition's writes on a real database: the case row, its audit entries, its events
(outbox rows) and an approval's result document go together, in order, or not at all; and
an event that changes nothing writes nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from services.processing.domain.errors import ConcurrentChange
from services.processing.domain.result_file import ResultFile
from services.processing.domain.rules import Role
from services.processing.domain.trail import Actor
from services.processing.handlers.events import on_shipment_delivered
from services.processing.handlers.writing import write_transition
from services.processing.repository import cases
from shared.contracts.events import DocumentRef, Envelope, ShipmentDelivered
from tests.integration.processing.support import (
    OWN,
    PDF,
    act,
    dossier_in,
)

pytestmark = pytest.mark.integration


async def _written(pool, code: str) -> tuple[list[str], list[tuple[str, str]], int]:
    """(audit actions, (topic, event type) of outbox rows, result documents) in id order."""
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    audit = [r["action"] for r in await pool.fetch(
        "SELECT action FROM case_audit WHERE dossier_id = $1 ORDER BY id", dossier_id)]
    outbox = [(r["topic"], r["headers"]["event_type"]) for r in await pool.fetch(
        "SELECT topic, headers FROM outbox_message WHERE key = $1 ORDER BY id", str(dossier_id))]
    documents = await pool.fetchval(
        "SELECT count(*) FROM result_document WHERE dossier_id = $1", dossier_id)
    return audit, outbox, documents


async def test_an_approval_writes_case_trail_events_and_document_in_order(http, deps, pool
                                                                          ) -> None:
    code = await dossier_in(http, deps, "awaiting_approval")
    approved = await act(http, code, OWN, "approver", {"action": "approve", "result_document": {
        "filename": "giay-phep.pdf", "content_type": "application/pdf", "content_base64": PDF}})
    assert approved.status_code == 200 and approved.json()["version"] == 4
    audit, outbox, documents = await _written(pool, code)
    assert audit == ["register", "accept", "start", "propose", "approve", "return_result"]
    work = f"department.{OWN}.work"
    assert outbox == [
        ("dossier.events", "DossierAccepted"), (work, "WorkItemQueued"),
        ("dossier.events", "DossierProcessingStarted"), (work, "WorkItemStatusChanged"),
        ("dossier.events", "DossierDecisionProposed"), (work, "WorkItemStatusChanged"),
        ("dossier.events", "DossierDecided"), ("dossier.events", "DossierResultReturned"),
        (work, "WorkItemStatusChanged")]
    assert documents == 1
    row = await pool.fetchrow("SELECT payload, headers FROM outbox_message ORDER BY id DESC")
    payload = json.loads(bytes(row["payload"]))
    assert payload["dossier_code"] == code and payload["producer"] == "processing"
    assert row["headers"] == {"event_type": "WorkItemStatusChanged",
                              "content-type": "application/json"}


async def test_a_write_on_a_version_somebody_changed_writes_nothing(http, deps, pool) -> None:
    code = await dossier_in(http, deps, "awaiting_approval")
    async with pool.acquire() as conn:
        seen = await cases.load_by_code(conn, code, OWN)
    assert seen is not None
    # Somebody refuses it meanwhile; an approval decided on the version seen must not land.
    refused = await act(http, code, OWN, "approver", {"action": "refuse", "reason": "Không đủ"})
    assert refused.status_code == 200
    before_write = await _written(pool, code)
    stale, at = seen.snapshot(), deps.now()
    ref = DocumentRef(kind="ket_qua", filename="a.pdf", content_type="application/pdf",
                      size=3, sha256="0" * 64)
    seen.decide(Actor("ktht.approver", Role.APPROVER), at, approve=True, reason=None,
                document=ref)
    document = ResultFile("a.pdf", "application/pdf", b"pdf")
    async with pool.acquire() as conn:
        with pytest.raises(ConcurrentChange):
            await write_transition(conn, deps.transactions.outbox(), deps, seen, stale, at,
                                   document=document)
    assert await _written(pool, code) == before_write
    assert seen.events and seen.audit  # kept, as they were not written
    async with pool.acquire() as conn:
        current = await cases.load_by_code(conn, code, OWN)
    assert current is not None and current.outcome == "refused" and current.version == 4


async def test_an_event_that_changes_nothing_writes_nothing(http, deps, pool) -> None:
    code = await dossier_in(http, deps, "accepted")  # online return: a delivery means nothing
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    before = await _written(pool, code)
    delivered = ShipmentDelivered(dossier_code=code, shipment_id=uuid.uuid4(),
                                  tracking_code="VN1", delivered_at=deps.now())
    envelope = Envelope.wrap(delivered, dossier_id=dossier_id, producer="postal")
    async with deps.transactions(envelope) as uow:
        await on_shipment_delivered(deps, delivered, envelope, uow)
        await uow.commit()
    assert await _written(pool, code) == before
    assert await pool.fetchval("SELECT version FROM dossier_case WHERE id = $1", dossier_id) == 1
