"""An attempt to pay whose outcome the gateway never told (payment's PaymentUnsettled), on a
real database: the dossier's audit trail records it, and nothing else moves."""

from __future__ import annotations

import uuid

import pytest

from services.processing.handlers.events import on_payment_unsettled
from shared.contracts.events import Envelope, PaymentUnsettled
from tests.integration.processing.support import OWN, bearer, submit
from tests.integration.processing.test_processing_payment_failure import WITH_FEE, deliver

pytestmark = pytest.mark.integration
REASON = "Cổng thanh toán chưa báo kết quả giao dịch"


async def test_an_unsettled_attempt_is_on_the_audit_trail_only(http, deps, pool, clock) -> None:
    code = await submit(deps, WITH_FEE)
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    officer = bearer(OWN, "intake")
    before = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    clock.advance(hours=1)
    unsettled = PaymentUnsettled(dossier_code=code, payment_id=uuid.uuid4(),
                                 txn_ref="VTH0001A2", reason=REASON, attempts=4)
    await deliver(deps, on_payment_unsettled, unsettled,
                  Envelope.wrap(unsettled, dossier_id=dossier_id, producer="payment"))

    view = (await http.get(f"/v1/dossiers/{code}", headers=officer)).json()
    assert (view["status"], view["fee_paid"], view["fee_failed_at"]) == (
        "awaiting_fee", False, None)
    assert view["due_date"] == before["due_date"]
    trail = (await http.get(f"/v1/dossiers/{code}/audit", headers=officer)).json()
    assert [(e["action"], e["actor"], e["from_status"], e["to_status"], e["reason"])
            for e in trail if e["action"] == "fee_unsettled"] == [
        ("fee_unsettled", "system", "awaiting_fee", "awaiting_fee", REASON)]
    assert trail[-1]["detail"] == {"payment_id": str(unsettled.payment_id),
                                   "txn_ref": "VTH0001A2", "attempts": 4}
