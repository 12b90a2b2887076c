"""Charges and refunds when the gateway does not simply succeed: it says pending, declines,
refuses, or never answers. The real database, the sandbox gateway over real HTTP with
scripted answers, and a clock the test holds (the loop reads it; nothing sleeps)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client import REGISTRY

from deploy.sandbox import payment as sandbox
from services.payment import effects
from services.payment.adapters.gateway import PaymentGateway
from shared.contracts.events import Envelope, PaymentCompleted, PaymentFailed, RefundFailed
from shared.runtime.effects import Retry, measure_backlog
from tests.integration.payment.support import FEE, Dossier, charge, refund
from tests.support import Clock, calls, script

pytestmark = pytest.mark.integration


@pytest.fixture
async def http(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/payment", timeout=0.3) as client:
        yield client


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_pending_charge_is_asked_again_after_the_recheck_not_on_every_poll(
        pool, http) -> None:
    dossier = Dossier(pool)
    await dossier.submit_and_accept()
    clock = Clock()
    await script(http, "payments", dossier.code, ["pending", "pending", "succeeded"])
    gateway, rechecks = PaymentGateway(http), metric("side_effect_rechecks_total", effect="charge")
    start = clock.now

    assert await charge(pool, gateway, now=clock) == 1
    payment = (await dossier.state())["payment"]
    assert (payment["status"], payment["attempts"]) == ("requested", 0), "pending is no failure"
    assert payment["pending_since"] == start
    assert payment["next_attempt_at"] == start + timedelta(seconds=60)
    for later in (0, 1, 59):  # the polls before the re-check find nothing due
        clock.now = start + timedelta(seconds=later)
        assert await charge(pool, gateway, now=clock) == 0
    assert await calls(http, "payments", dossier.code) == ["pending"]

    clock.now = start + timedelta(seconds=60)
    assert await charge(pool, gateway, now=clock) == 1  # the re-check, with the same key
    assert await calls(http, "payments", dossier.code) == ["pending", "pending"]
    assert (await dossier.state())["payment"]["status"] == "requested"
    clock.now += timedelta(seconds=60)
    assert await charge(pool, gateway, now=clock) == 1  # the bank has settled it

    state = await dossier.state()
    [at_gateway] = [p["response"] for p in sandbox._payments.values()
                    if p["response"]["reference"] == dossier.code]
    assert state["payment"]["status"] == "completed"
    assert state["payment"]["attempts"] == 0
    assert state["payment"]["gateway_transaction_id"] == at_gateway["id"]
    assert state["events"] == ["PaymentRequested", "PaymentCompleted"]
    assert state["last"] == PaymentCompleted(
        dossier_code=dossier.code, payment_id=state["payment"]["id"], amount=FEE,
        gateway_transaction_id=at_gateway["id"])
    assert metric("side_effect_rechecks_total", effect="charge") == rechecks + 2


async def test_a_charge_out_of_attempts_fails_and_says_so(pool, http) -> None:
    dossier = Dossier(pool)
    await dossier.submit_and_accept()
    clock = Clock()
    await script(http, "payments", dossier.code, ["timeout", "error", "timeout"])
    gateway, exhausted = PaymentGateway(http), metric("side_effect_failures_total",
                                                      effect="charge", kind="exhausted")

    for attempt in (1, 2, 3):
        assert await charge(pool, gateway, max_attempts=3, now=clock) == 1
        payment = (await dossier.state())["payment"]
        assert payment["attempts"] == attempt
        assert await charge(pool, gateway, max_attempts=3, now=clock) == 0, "backed off"
        clock.now = payment["next_attempt_at"]  # the back-off has passed

    state = await dossier.state()
    assert state["payment"]["status"] == "failed"
    assert "ReadTimeout" in state["payment"]["last_error"]
    assert state["events"] == ["PaymentRequested", "PaymentFailed"]
    assert state["last"] == PaymentFailed(
        dossier_code=dossier.code, payment_id=state["payment"]["id"], amount=FEE,
        reason=state["payment"]["last_error"], attempts=3)
    assert await calls(http, "payments", dossier.code) == ["timeout", "error", "timeout"]
    assert metric("side_effect_failures_total", effect="charge", kind="exhausted") \
        == exhausted + 1
    async with pool.acquire() as conn:  # the failure answers the event that asked for the fee
        requested, failed = [Envelope.model_validate_json(r["payload"]) for r in await conn.fetch(
            "SELECT payload FROM outbox_message WHERE key = $1 ORDER BY id", str(dossier.id))]
    assert failed.correlation_id == requested.correlation_id
    assert failed.causation_id == requested.causation_id


async def test_a_declined_charge_fails_at_once(pool, http) -> None:
    dossier = Dossier(pool)
    await dossier.submit_and_accept()
    await script(http, "payments", dossier.code, ["failed"])
    assert await charge(pool, PaymentGateway(http)) == 1
    state = await dossier.state()
    assert (state["payment"]["status"], state["payment"]["attempts"]) == ("failed", 1)
    assert state["last"] == PaymentFailed(
        dossier_code=dossier.code, payment_id=state["payment"]["id"], amount=FEE,
        reason="declined by the gateway", attempts=1)


async def test_a_refund_the_gateway_declines_fails_and_says_so(pool, http) -> None:
    dossier = Dossier(pool)
    await dossier.submit_and_accept()
    gateway = PaymentGateway(http)
    assert await charge(pool, gateway) == 1
    await dossier.deliver(dossier.withdrawn())
    await script(http, "refunds", dossier.code, ["failed"])
    assert await refund(pool, gateway) == 1

    state = await dossier.state()
    [failed] = state["refunds"]
    assert (failed["status"], state["payment"]["status"]) == ("failed", "completed")
    assert state["events"] == ["PaymentRequested", "PaymentCompleted", "RefundFailed"]
    assert state["last"] == RefundFailed(
        dossier_code=dossier.code, payment_id=state["payment"]["id"], refund_id=failed["id"],
        amount=FEE, reason="declined by the gateway", attempts=1)


async def test_the_backlog_counts_the_charges_still_to_do(pool, http) -> None:
    effect = effects.charges(PaymentGateway(http), Retry())
    assert await measure_backlog(effect, pool) == 0
    for _ in range(2):
        await Dossier(pool).submit_and_accept()
    assert await measure_backlog(effect, pool) == 2
    assert metric("side_effect_backlog", effect="charge") == 2
    assert await charge(pool, PaymentGateway(http)) == 2
    assert await measure_backlog(effect, pool) == 0
