"""A postal return's postage is collected with the fee, as a line of its own on the receipt,
whichever comes first here: postal's quote or the dossier's acceptance (a fee accepted
before the quote waits for it, so the amount asked never changes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.contracts.events import (
    Applicant,
    DossierAccepted,
    DossierSubmitted,
    Envelope,
    Event,
    PaymentRequested,
    PostageQuoted,
)
from shared.contracts.status import DossierStatus
from tests.integration.payment.support import FEE, PROCEDURE, VERSION, Citizen, Dossier
from tests.integration.payment.test_payment_receipt import receipt_of
from tests.messaging import record

pytestmark = pytest.mark.integration
POSTAGE = Decimal(25000)


async def _deliver(dossier: Dossier, event: Event) -> None:
    envelope = Envelope.wrap(event, dossier_id=dossier.id, producer="test",
                             dossier_code=dossier.code)
    await dossier.consumer.process(record(event.topic, envelope.model_dump_json().encode()))


def _submitted(dossier: Dossier) -> DossierSubmitted:
    return DossierSubmitted(
        dossier_code=dossier.code, portal="p", portal_submission_id=str(dossier.id),
        agency_code="VTH", procedure_code=PROCEDURE, procedure_name="Ghi chú kết hôn",
        department_code="tp", catalog_version=VERSION,
        applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567",
                            phone="0912345678", email="binh@example.vn"),
        return_method="postal", postal_address="12 Đường 3/2", fee=FEE, committed_days=7,
        received_at=datetime(2025, 1, 23, 3, tzinfo=UTC), due_date=date(2025, 2, 10))


def _accepted(dossier: Dossier) -> DossierAccepted:
    return DossierAccepted(dossier_code=dossier.code, department_code="tp", fee=FEE,
                           due_date=date(2025, 2, 10), return_method="postal",
                           status=DossierStatus.AWAITING_FEE)


def _quoted(dossier: Dossier, amount: Decimal = POSTAGE) -> PostageQuoted:
    return PostageQuoted(dossier_code=dossier.code, amount=amount, source="carrier")


async def _requested(dossier: Dossier) -> list[Decimal]:
    return [e.amount for e in await dossier.events() if isinstance(e, PaymentRequested)]


async def test_the_postage_quoted_first_is_asked_with_the_fee(payment) -> None:
    dossier = Dossier(payment)
    await _deliver(dossier, _submitted(dossier))
    await _deliver(dossier, _quoted(dossier))
    await _deliver(dossier, _accepted(dossier))
    assert await _requested(dossier) == [FEE + POSTAGE]

    await Citizen().pay(await dossier.pay_url())
    body = (await receipt_of(payment, dossier.code)).json()
    assert [(line["kind"], Decimal(line["amount"])) for line in body["lines"]] == [
        ("fee", FEE), ("postage", POSTAGE)]
    assert body["lines"][1]["label"] == "Cước phí chuyển phát kết quả"
    assert Decimal(body["amount"]) == FEE + POSTAGE


async def test_a_fee_accepted_before_the_quote_waits_for_it(payment) -> None:
    dossier = Dossier(payment)
    await _deliver(dossier, _submitted(dossier))
    await _deliver(dossier, _accepted(dossier))
    assert await _requested(dossier) == []  # no link yet: its amount is not known
    await _deliver(dossier, _quoted(dossier))
    await _deliver(dossier, _quoted(dossier, Decimal(99000)))  # a later quote changes nothing
    assert await _requested(dossier) == [FEE + POSTAGE]
    fee = (await dossier.state())["fee"]
    assert (fee["amount"], fee["postage"]) == (FEE + POSTAGE, POSTAGE)


async def test_an_online_return_pays_no_postage(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    assert await _requested(dossier) == [FEE]
