"""The IPN follows VNPay's contract: checksum (97), order (01), amount (04), already settled
(02), then one update (00); duplicates and concurrent copies give one effect; retries follow
the gateway's policy on its clock; money taken after our order ended is never lost."""

from __future__ import annotations

import httpx
import pytest

from deploy.sandbox import vnpay_signing
from tests.integration.payment.support import Citizen, Dossier

pytestmark = pytest.mark.integration


async def ipn(payment, params: dict[str, str], *, sign: bool = True) -> str:
    query = vnpay_signing.signed_query(params, payment.sandbox.secret) if sign else \
        httpx.QueryParams({**params, "vnp_SecureHash": "00" * 64})
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{payment.deps.base_url}/v1/gateways/vnpay/ipn?{query}")
    return str(answer.json()["RspCode"])


async def paid(payment) -> tuple[Dossier, dict[str, str]]:
    """A dossier paid at the bank with its IPN held; the IPN's parameters."""
    payment.sandbox.switches.hold_ipn = True
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    return dossier, payment.sandbox.deliveries[-1].params


async def test_each_rsp_code_and_only_the_last_changes_anything(payment) -> None:
    dossier, params = await paid(payment)
    assert await ipn(payment, params, sign=False) == "97"
    assert await ipn(payment, {**params, "vnp_TxnRef": "NOSUCHORDER"}) == "01"
    assert await ipn(payment, {**params, "vnp_Amount": "100"}) == "04"
    incomplete = {k: v for k, v in params.items() if k != "vnp_TransactionStatus"}
    assert await ipn(payment, incomplete) == "99"
    assert await dossier.kinds() == ["PaymentRequested"]
    assert (await dossier.state())["orders"][0]["state"] == "created"

    assert await ipn(payment, params) == "00"
    assert await ipn(payment, params) == "02"  # the duplicate: no second event
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]


async def test_two_identical_ipns_at_once_give_one_effect(payment) -> None:
    payment.sandbox.switches.duplicate_ipn = True
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    answers = sorted(d.answers[0] for d in payment.sandbox.deliveries)
    assert answers == ["00", "02"]
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]


async def test_out_of_order_ipns_a_late_decline_changes_nothing_paid(payment) -> None:
    payment.sandbox.switches.hold_ipn = True
    dossier, citizen = Dossier(payment), Citizen()
    await dossier.submit_and_accept()
    first = await citizen.open(await dossier.pay_url())
    payment.later(minutes=1)
    await citizen.pay(await dossier.pay_url(), "00")  # a second tab, paid
    await citizen.choose(first, "51")  # the first tab, declined
    await payment.sandbox.release(reverse=True)  # the decline arrives first
    state = await dossier.state()
    assert [o["state"] for o in state["orders"]] == ["failed", "succeeded"]
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]


async def test_ipns_are_retried_ten_times_five_minutes_apart_until_answered(payment) -> None:
    good = payment.sandbox.ipn_url
    payment.sandbox.ipn_url = good.replace("/ipn", "/nowhere")  # our endpoint answers 404
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    [delivery] = payment.sandbox.deliveries
    assert await payment.sandbox.advance(299) == 0  # not yet due again
    assert await payment.sandbox.advance(1) == 1
    payment.sandbox.ipn_url = good
    assert await payment.sandbox.advance(300) == 1
    assert delivery.answers == ["no answer", "no answer", "00"]
    assert await payment.sandbox.advance(300) == 0
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]

    payment.sandbox.ipn_url = good.replace("/ipn", "/nowhere")
    other = Dossier(payment)
    await other.submit_and_accept()
    await Citizen().pay(await other.pay_url())
    for _ in range(12):
        await payment.sandbox.advance(300)
    assert payment.sandbox.deliveries[-1].tries == 10  # then the gateway gives up


async def test_money_taken_after_expiry_pays_a_fee_still_waiting(payment) -> None:
    dossier, citizen = Dossier(payment), Citizen()
    await dossier.submit_and_accept()
    form = await citizen.open(await dossier.pay_url())
    payment.later(minutes=21)  # our order expired, the querydr found nothing at the gateway
    assert await payment.check() == 1
    assert (await dossier.state())["orders"][0]["state"] == "expired"
    await citizen.choose(form, "00")  # the bank page was still open
    state = await dossier.state()
    assert state["orders"][0]["state"] == "succeeded" and state["fee"]["status"] == "completed"
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCompleted"]


async def test_money_taken_after_the_dossier_ended_is_refunded_at_once(payment) -> None:
    dossier, citizen = Dossier(payment), Citizen()
    await dossier.submit_and_accept()
    form = await citizen.open(await dossier.pay_url())
    await dossier.deliver(dossier.withdrawn())
    await citizen.choose(form, "00")
    state = await dossier.state()
    assert state["orders"][0]["state"] == "succeeded" and state["fee"]["status"] == "cancelled"
    [refund] = state["refunds"]
    assert (refund["cause"], refund["order_id"]) == ("withdrawn", state["orders"][0]["id"])
    assert await dossier.kinds() == ["PaymentRequested", "PaymentCancelled"]
