"""Refunds through the gateway's refund API: asked for once (a request already in progress,
94, means wait), followed through 05 → 06 → 00 or 09, never more than was paid, and only
where the catalog gives the fee back."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.contracts.events import DossierProcessingStopped, PaymentRefunded, RefundFailed
from tests.integration.payment.support import FEE, Citizen, Dossier

pytestmark = pytest.mark.integration


async def paid_and_withdrawn(payment) -> Dossier:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    withdrawn = await dossier.deliver(dossier.withdrawn())
    await dossier.redeliver(withdrawn)
    payment.later(seconds=30)  # the refund row was due at the database's now()
    return dossier


async def test_a_withdrawn_paid_fee_is_refunded_once_through_its_statuses(payment) -> None:
    dossier = await paid_and_withdrawn(payment)
    assert await payment.refund() == 1  # asked for: 05, in progress
    [txn_ref] = payment.sandbox.transactions
    for step in ("05", "06"):
        at_gateway = (await payment.gateway_http.get(f"/_sandbox/vnpay/transactions/{txn_ref}"))
        assert at_gateway.json()["refunds"][0]["status"] == step
        await payment.sandbox.advance(5)
        payment.later(minutes=1)
        assert await payment.refund() == 1
    state = await dossier.state()
    assert [r["status"] for r in state["refunds"]] == ["completed"]
    assert state["fee"]["status"] == "refunded"
    assert len(payment.sandbox.transactions[txn_ref].refunds) == 1
    refunded = (await dossier.events())[-1]
    assert isinstance(refunded, PaymentRefunded)
    assert (refunded.amount, refunded.cause) == (FEE, "withdrawn")


async def test_a_refund_the_bank_refuses_fails_and_says_so(payment) -> None:
    payment.sandbox.switches.refund_outcome = "09"
    dossier = await paid_and_withdrawn(payment)
    for _ in range(3):
        await payment.refund()
        await payment.sandbox.advance(5)
        payment.later(minutes=1)
    last = (await dossier.events())[-1]
    assert isinstance(last, RefundFailed) and "09" in last.reason
    assert (await dossier.state())["fee"]["status"] == "completed"


async def test_a_partial_refund_and_an_over_refund_refused(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    [order] = (await dossier.state())["orders"]
    common = {"txn_ref": order["txn_ref"], "paid": FEE, "transaction_no": order["transaction_no"],
              "ordered_at": order["created_at"], "reference": dossier.code,
              "now": payment.clock.now}
    partial = await payment.deps.vnpay.refund(uuid.uuid4(), amount=Decimal(30000), **common)
    assert (partial.response_code, partial.transaction_type) == ("00", "03")
    too_much = await payment.deps.vnpay.refund(uuid.uuid4(), amount=Decimal(50000), **common)
    assert too_much.response_code == "03"
    again = await payment.deps.vnpay.refund(uuid.UUID(int=7), amount=Decimal(1000), **common)
    duplicate = await payment.deps.vnpay.refund(uuid.UUID(int=7), amount=Decimal(1000), **common)
    assert (again.response_code, duplicate.response_code) == ("00", "94")


async def test_a_stop_keeps_the_fee(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    await dossier.deliver(DossierProcessingStopped(
        dossier_code=dossier.code, reason="Không bổ sung hồ sơ", actor_role="approver"))
    assert await payment.refund() == 0
    assert (await dossier.state())["fee"]["status"] == "completed"
