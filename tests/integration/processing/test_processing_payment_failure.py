"""A fee that finally fails (payment's PaymentFailed), on a real database: the dossier keeps
waiting for it with its clock paused, and shows the failure to its department (the dossier,
its audit trail, the queue and the department's topic), once however often it is told."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal

import pytest

from services.processing.handlers.events import on_payment_completed, on_payment_failed
from shared.contracts.events import Envelope, Event, PaymentCompleted, PaymentFailed
from tests.integration.processing.support import OWN, bearer, submit

pytestmark = pytest.mark.integration

WITH_FEE = "VTH-LOCAL-03"  # ktht, received at once, fee 10 000: it awaits its fee
REASON = "Ngân hàng từ chối giao dịch"


async def deliver(deps, handler, event: Event, envelope: Envelope) -> None:
    """As the consumer hands a message over: in a unit of work caused by it."""
    async with deps.transactions(envelope) as uow:
        await handler(deps, event, envelope, uow)
        await uow.commit()


async def work_changes(pool, dossier_id: uuid.UUID) -> list[dict]:
    rows = await pool.fetch("""SELECT payload FROM outbox_message
                               WHERE key = $1 AND topic = $2 ORDER BY id""",
                            str(dossier_id), f"department.{OWN}.work")
    envelopes = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in envelopes if e["event_type"] == "WorkItemStatusChanged"]


async def test_a_failed_fee_is_recorded_shown_and_told_once(http, deps, pool, clock) -> None:
    code = await submit(deps, WITH_FEE)
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    officer = bearer(OWN, "intake")
    before = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert (before["status"], before["fee_failed_at"]) == ("awaiting_fee", None)
    clock.advance(hours=3)
    failed = PaymentFailed(dossier_code=code, payment_id=uuid.uuid4(), amount=Decimal(10_000),
                           reason=REASON, attempts=3)
    envelope = Envelope.wrap(failed, dossier_id=dossier_id, producer="payment",
                             occurred_at=clock.now)
    for _ in range(2):  # delivered, then delivered again
        await deliver(deps, on_payment_failed, failed, envelope)

    view = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert (view["status"], view["sla_state"], view["fee_paid"]) == ("awaiting_fee", "paused",
                                                                     False)
    assert datetime.fromisoformat(view["fee_failed_at"]) == clock.now
    assert view["fee_failure_reason"] == REASON
    assert view["due_date"] == before["due_date"] and view["version"] == before["version"] + 1
    trail = (await http.get(f"/v1/dossiers/{code}/audit", headers=officer)).json()
    assert [(e["action"], e["actor"], e["from_status"], e["to_status"], e["reason"])
            for e in trail if e["action"].startswith("fee")] == [
        ("fee_failed", "system", "awaiting_fee", "awaiting_fee", REASON)]
    assert trail[-1]["detail"] == {"payment_id": str(failed.payment_id), "amount": "10000",
                                   "attempts": 3}
    queue = (await http.get("/v1/queue", params={"q": code}, headers=officer)).json()
    assert [(i["dossier_code"], i["sla_state"], i["fee_failed_at"]) for i in queue["items"]
            ] == [(code, "paused", view["fee_failed_at"])]
    told = await work_changes(pool, dossier_id)
    assert [(c["payload"]["status"], c["payload"]["sla_state"]) for c in told] == [
        ("awaiting_fee", "paused")]
    assert (told[0]["causation_id"], told[0]["correlation_id"], told[0]["producer"]) == (
        str(envelope.event_id), str(envelope.correlation_id), "processing")

    paid = PaymentCompleted(dossier_code=code, payment_id=failed.payment_id,
                            amount=Decimal(10_000), gateway_transaction_id="GW-1")
    await deliver(deps, on_payment_completed, paid,
                  Envelope.wrap(paid, dossier_id=dossier_id, producer="payment"))
    view = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert (view["status"], view["fee_paid"], view["fee_failed_at"]) == ("accepted", True, None)
