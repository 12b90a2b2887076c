"""A missed IPN is settled by querydr, on the shared side-effect loop: an attempt still open
some minutes after it expired is asked about; the gateway's answer settles it, or expires an
attempt it never heard of. The test holds both clocks."""

from __future__ import annotations

import pytest

from tests.integration.payment.support import Citizen, Dossier

pytestmark = pytest.mark.integration


async def test_a_missed_ipn_is_settled_by_querydr_after_the_expiry(payment) -> None:
    payment.sandbox.switches.drop_ipn = True
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    payment.later(minutes=19)  # 15 to expire, 5 more before asking
    assert await payment.check() == 0
    payment.later(minutes=1)
    assert await payment.check() == 1

    state = await dossier.state()
    [order] = state["orders"]
    assert (order["state"], order["settled_by"]) == ("succeeded", "querydr")
    assert state["fee"]["status"] == "completed"
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]
    assert await payment.check() == 0


async def test_an_attempt_the_gateway_never_saw_expires_quietly(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().open(await dossier.pay_url())  # the citizen left the bank page
    payment.later(minutes=20)
    assert await payment.check() == 1
    state = await dossier.state()
    assert state["orders"][0]["state"] == "expired" and state["fee"]["status"] == "requested"
    assert await dossier.kinds() == ["PaymentRequested"]


async def test_pending_at_the_bank_is_asked_again_until_the_bank_decides(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url(), "pending")
    payment.later(minutes=20)
    assert await payment.check() == 1
    async with payment.pool.acquire() as conn:
        check = await conn.fetchrow("SELECT * FROM order_check")
    assert (check["status"], check["attempts"]) == ("scheduled", 0)  # pending: no failure
    payment.sandbox.switches.drop_ipn = True
    [txn_ref] = payment.sandbox.transactions
    settled = await payment.gateway_http.post(f"/_sandbox/vnpay/transactions/{txn_ref}/settle",
                                              json={"choice": "00"})
    assert settled.status_code == 200
    assert await payment.check() == 0  # the recheck is not due yet
    payment.later(minutes=1)
    assert await payment.check() == 1
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]


async def test_an_ipn_first_makes_the_check_unneeded(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    payment.later(hours=1)
    assert await payment.check() == 0
    async with payment.pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM order_check") == "unneeded"
