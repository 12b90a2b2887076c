"""The dossier follows the parcel of its result: returned only when the carrier says
delivered (with who signed for it); a failed delivery, a return to the office or a loss go on
the case's trail for the office, and move nothing else."""

from __future__ import annotations

import uuid

import pytest

from services.processing.handlers.events import on_shipment_status_changed
from shared.contracts.events import Envelope, ShipmentStatusChanged
from tests.integration.processing.support import FREE_AUTO, OWN, act, submit

pytestmark = pytest.mark.integration


async def _decided_for_post(http, deps) -> tuple[str, uuid.UUID]:
    code = await submit(deps, FREE_AUTO, return_method="postal")
    for role, body in (("specialist", {"action": "start"}),
                       ("specialist", {"action": "propose", "proposed_outcome": "approved"}),
                       ("approver", {"action": "approve", "result_document": {
                           "filename": "kq.pdf", "content_type": "application/pdf",
                           "content_base64": "JVBERi0xLjQ="}})):
        assert (await act(http, code, OWN, role, body)).status_code == 200
    return code, await deps.transactions.pool.fetchval(
        "SELECT id FROM dossier_case WHERE code = $1", code)


async def _parcel(deps, code: str, dossier_id: uuid.UUID, status: str, **extra: object) -> None:
    event = ShipmentStatusChanged(dossier_code=code, shipment_id=uuid.uuid4(), carrier="GHN",
                                  tracking_code="EB000000014VN", status=status,
                                  changed_at=deps.now(), **extra)
    envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="postal")
    async with deps.transactions(envelope) as uow:
        await on_shipment_status_changed(deps, event, envelope, uow)
        await uow.commit()


async def _state(pool, dossier_id: uuid.UUID) -> tuple[str, list[str], list[dict]]:
    status = await pool.fetchval("SELECT status FROM dossier_case WHERE id = $1", dossier_id)
    audit = [r["action"] for r in await pool.fetch(
        "SELECT action FROM case_audit WHERE dossier_id = $1 ORDER BY id", dossier_id)]
    returned = [Envelope.model_validate_json(r["payload"]).payload for r in await pool.fetch(
        "SELECT payload FROM outbox_message WHERE key = $1 AND headers->>'event_type' = "
        "'DossierResultReturned'", str(dossier_id))]
    return status, audit, returned


async def test_the_result_is_returned_only_when_the_parcel_is_delivered(http, deps, pool
                                                                        ) -> None:
    code, dossier_id = await _decided_for_post(http, deps)
    assert (await _state(pool, dossier_id))[0] == "decided"
    for status in ("picking", "delivering"):
        await _parcel(deps, code, dossier_id, status)
    await _parcel(deps, code, dossier_id, "delivery_fail", reason="Người nhận không nghe máy")
    status, audit, returned = await _state(pool, dossier_id)
    assert (status, returned) == ("decided", [])
    assert audit[-1] == "shipment_delivery_failed"

    await _parcel(deps, code, dossier_id, "delivered", recipient_name="Lê Thị Cúc")
    status, audit, returned = await _state(pool, dossier_id)
    assert (status, audit[-1]) == ("result_returned", "return_result")
    assert [(r["method"], r["received_by"]) for r in returned] == [("postal", "Lê Thị Cúc")]


async def test_a_returned_or_lost_parcel_is_on_the_trail_and_returns_nothing(http, deps, pool
                                                                            ) -> None:
    code, dossier_id = await _decided_for_post(http, deps)
    await _parcel(deps, code, dossier_id, "returned")
    await _parcel(deps, code, dossier_id, "lost", attempt=2)
    status, audit, returned = await _state(pool, dossier_id)
    assert (status, returned) == ("decided", [])
    assert audit[-2:] == ["shipment_returned", "shipment_incident"]
