"""The fee's payment link in the portal's view and on the public tracking page: shown from
the latest fee request while the fee is unpaid, gone once it is paid or cancelled."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from shared.contracts.events import PaymentCancelled, PaymentCompleted, PaymentRequested
from tests.integration.intake.support import Intake, registered, told

pytestmark = pytest.mark.integration
LINK = "https://thanhtoan.example.vn/pay/"


async def _payment_says(intake: Intake, dossier_id: uuid.UUID, event) -> None:
    await told(intake, dossier_id, event, "payment")


async def _links(intake: Intake, code: str) -> tuple[str | None, str | None]:
    portal = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    public = (await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})).json()
    return portal["pay_url"], public["pay_url"]


def _request(code: str, payment_id: uuid.UUID, token: str) -> PaymentRequested:
    return PaymentRequested(dossier_code=code, payment_id=payment_id, amount=Decimal(75000),
                            pay_url=LINK + token)


async def test_the_latest_payment_link_shows_until_the_fee_is_paid(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    assert await _links(intake, code) == (None, None)
    payment_id = uuid.uuid4()
    await _payment_says(intake, dossier_id, _request(code, payment_id, "first"))
    await _payment_says(intake, dossier_id, _request(code, payment_id, "second"))
    assert await _links(intake, code) == (LINK + "second", LINK + "second")

    await _payment_says(intake, dossier_id, PaymentCompleted(
        dossier_code=code, payment_id=payment_id, amount=Decimal(75000),
        gateway_transaction_id="14123456"))
    assert await _links(intake, code) == (None, None)


async def test_a_cancelled_fee_or_an_older_producer_shows_no_link(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    payment_id = uuid.uuid4()
    await _payment_says(intake, dossier_id, _request(code, payment_id, "only"))
    assert await _links(intake, code) == (LINK + "only", LINK + "only")
    await _payment_says(intake, dossier_id, PaymentCancelled(
        dossier_code=code, payment_id=payment_id, amount=Decimal(75000), cause="withdrawn"))
    assert await _links(intake, code) == (None, None)

    older, older_id = await registered(intake)
    await _payment_says(intake, older_id, PaymentRequested(
        dossier_code=older, payment_id=uuid.uuid4(), amount=Decimal(75000)))
    assert await _links(intake, older) == (None, None)
