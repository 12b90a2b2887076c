"""Every paid fee has its receipt (biên lai), written with the payment: a number sequential
per agency and year, the payer, its lines, the gateway's transaction number and time; the
payment API serves it, and answers 404 for a dossier with nothing paid."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from tests.integration.payment.support import FEE, Citizen, Dossier

pytestmark = pytest.mark.integration


async def receipt_of(payment, dossier_code: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{payment.deps.base_url}/v1/payments/{dossier_code}/receipt")


async def paid(payment) -> Dossier:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    return dossier


async def test_a_paid_fee_has_its_receipt(payment) -> None:
    dossier = await paid(payment)
    answer = await receipt_of(payment, dossier.code)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    order = (await dossier.state())["orders"][0]
    assert re.fullmatch(r"VTH-\d{4}-\d{6}", body["number"])
    assert body["number"].split("-")[1] == f"{order['paid_at'].year:04d}"
    assert body["payer_name"] == "Trần Văn Bình"
    assert body["dossier_code"] == dossier.code
    assert [(line["kind"], Decimal(line["amount"])) for line in body["lines"]] == [("fee", FEE)]
    assert body["lines"][0]["label"] == "Phí, lệ phí giải quyết thủ tục hành chính"
    assert Decimal(body["amount"]) == FEE
    assert body["gateway_transaction_no"] == order["transaction_no"]
    assert body["paid_at"].endswith("+07:00")


async def test_receipt_numbers_follow_each_other_within_the_agency_and_year(payment) -> None:
    first, second = await paid(payment), await paid(payment)
    numbers = [(await receipt_of(payment, d.code)).json()["number"] for d in (first, second)]
    (prefix, one), (prefix_too, two) = (n.rsplit("-", 1) for n in numbers)
    assert prefix == prefix_too and int(two) == int(one) + 1


async def test_a_duplicate_ipn_issues_no_second_receipt(payment) -> None:
    payment.sandbox.switches.duplicate_ipn = True
    dossier = await paid(payment)
    async with payment.pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM receipt WHERE dossier_code = $1",
                                    dossier.code)
    assert count == 1


async def test_no_receipt_for_an_unknown_or_unpaid_dossier(payment) -> None:
    assert (await receipt_of(payment, "VTH-250123-99999")).status_code == 404
    unpaid = Dossier(payment)
    await unpaid.submit_and_accept()
    await Citizen().pay(await unpaid.pay_url(), "51")  # declined at the bank
    answer = await receipt_of(payment, unpaid.code)
    assert answer.status_code == 404
    assert answer.json()["detail"] == "Không tìm thấy biên lai thu phí của hồ sơ này"
