"""The fee's deadline on a real database, the scanner driven by the test's clock: the
citizen is reminded the working day before it, once; after it the dossier is "quá hạn thanh
toán" in its department's queue, once, and the approver may stop it."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal

import pytest

from services.processing.handlers.deadlines import scan_deadlines
from services.processing.handlers.events import on_payment_completed
from shared.contracts.events import Envelope, PaymentCompleted
from shared.reference.workdays import BUSINESS_TZ
from tests.integration.processing.support import OWN, act, bearer, submit
from tests.integration.processing.test_processing_payment_failure import (
    WITH_FEE,
    deliver,
    work_changes,
)

pytestmark = pytest.mark.integration
# Received Monday 3/3/2025: five working days to pay, so until Monday 10/3.
FRIDAY, TUESDAY = (datetime(2025, 3, d, 9, tzinfo=BUSINESS_TZ) for d in (7, 11))


async def reminders(pool) -> list[dict]:
    rows = await pool.fetch("SELECT payload FROM outbox_message ORDER BY id")
    envelopes = [json.loads(bytes(r["payload"])) for r in rows]
    return [e["payload"] for e in envelopes if e["event_type"] == "FeePaymentDue"]


async def test_an_unpaid_fee_is_reminded_then_flagged_overdue_then_stopped(
        http, deps, pool, clock) -> None:
    code = await submit(deps, WITH_FEE)
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    officer = bearer(OWN, "approver")
    view = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert (view["fee_due_date"], view["fee_overdue"]) == ("2025-03-10", False)
    assert await scan_deadlines(deps) == 0

    clock.now = FRIDAY  # one working day before the deadline
    assert await scan_deadlines(deps) == 1
    assert await scan_deadlines(deps) == 0
    assert [(r["dossier_code"], r["fee_due_date"], Decimal(r["amount"]))
            for r in await reminders(pool)] == [(code, "2025-03-10", Decimal(10_000))]

    clock.now = TUESDAY  # the deadline passed unpaid
    assert await scan_deadlines(deps) == 1
    assert await scan_deadlines(deps) == 0
    view = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert (view["status"], view["fee_overdue"]) == ("awaiting_fee", True)
    queue = (await http.get("/v1/queue", params={"q": code}, headers=officer)).json()
    assert [(i["dossier_code"], i["fee_overdue"]) for i in queue["items"]] == [(code, True)]
    told = await work_changes(pool, dossier_id)
    assert [c["payload"]["fee_overdue"] for c in told] == [True]
    trail = (await http.get(f"/v1/dossiers/{code}/audit", headers=officer)).json()
    assert [e["action"] for e in trail if "fee" in e["action"]] == [
        "remind_fee", "flag_fee_overdue"]
    assert "stop" in view["allowed_actions"]
    stopped = await act(http, code, OWN, "approver", {"action": "stop",
                                                      "reason": "Quá hạn thanh toán phí"})
    assert stopped.status_code == 200, stopped.text


async def test_a_paid_fee_is_neither_reminded_nor_flagged(http, deps, pool, clock) -> None:
    code = await submit(deps, WITH_FEE)
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    paid = PaymentCompleted(dossier_code=code, payment_id=uuid.uuid4(),
                            amount=Decimal(10_000), gateway_transaction_id="GW-1")
    await deliver(deps, on_payment_completed, paid,
                  Envelope.wrap(paid, dossier_id=dossier_id, producer="payment"))
    for clock.now in (FRIDAY, TUESDAY):
        await scan_deadlines(deps)
    assert await reminders(pool) == []
    view = (await http.get(f"/v1/dossiers/{code}", headers=bearer(OWN, "intake"))).json()
    assert (view["status"], view["fee_overdue"]) == ("accepted", False)
