"""Every paid fee has its receipt (biên lai), written with the payment: a number sequential
per agency and year, the payer, its lines, the gateway's transaction number and time; the
payment API serves it, and answers 404 for a dossier with nothing paid. A receipt issued in
error is cancelled, once, keeping its number."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest

from services.payment import receipt_cli
from services.payment.handlers.receipt import cancel_receipt
from services.payment.settings import PaymentSettings
from shared.contracts.events import Envelope, ReceiptCancelled
from tests.integration.payment.support import FEE, Citizen, Dossier

pytestmark = pytest.mark.integration


async def receipt_of(payment, dossier_code: str) -> httpx.Response:
    """As the holder of the dossier's pay link asks for it (its token)."""
    token = await payment.pool.fetchval(
        "SELECT pay_token FROM payment WHERE dossier_code = $1", dossier_code)
    async with httpx.AsyncClient() as client:
        return await client.get(f"{payment.deps.base_url}/v1/payments/{dossier_code}/receipt",
                                params={"token": token or "no-such-link"})


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


async def cancelled_events(payment, dossier_code: str) -> list[ReceiptCancelled]:
    async with payment.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox_message WHERE topic = 'payment.events'")
    events = [Envelope.model_validate_json(r["payload"]).event() for r in rows]
    return [e for e in events if isinstance(e, ReceiptCancelled) and e.dossier_code == dossier_code]


async def test_a_receipt_issued_in_error_is_cancelled_once_and_keeps_its_number(payment) -> None:
    dossier = await paid(payment)
    number = (await receipt_of(payment, dossier.code)).json()["number"]
    at = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    done = await cancel_receipt(number, by="Kế toán Lê Thị Hoa", at=at,
                                reason="Cổng thanh toán không ghi nhận giao dịch",
                                transactions=payment.deps.transactions)
    assert done == "cancelled"
    body = (await receipt_of(payment, dossier.code)).json()
    assert (body["number"], body["status"]) == (number, "cancelled")
    assert body["cancel_reason"] == "Cổng thanh toán không ghi nhận giao dịch"
    assert body["cancelled_at"].endswith("+07:00")
    [event] = await cancelled_events(payment, dossier.code)
    assert (event.receipt_number, event.amount, event.cancelled_at) == (number, FEE, at)
    again = await cancel_receipt(number, by="someone else", reason="twice", at=at,
                                 transactions=payment.deps.transactions)
    assert again == "already cancelled"
    assert len(await cancelled_events(payment, dossier.code)) == 1
    assert (await receipt_of(payment, dossier.code)).json()["cancel_reason"] == \
        "Cổng thanh toán không ghi nhận giao dịch"
    # the number stays used: the next receipt follows it, the sequence keeps no gap
    following = (await receipt_of(payment, (await paid(payment)).code)).json()["number"]
    assert int(following.rsplit("-", 1)[1]) == int(number.rsplit("-", 1)[1]) + 1


async def test_a_cancellation_needs_a_reason_and_a_known_number(payment, database_url) -> None:
    dossier = await paid(payment)
    number = (await receipt_of(payment, dossier.code)).json()["number"]
    with pytest.raises(ValueError, match="who cancels and why"):
        await cancel_receipt(number, by="Kế toán", reason="  ", at=datetime.now(UTC),
                             transactions=payment.deps.transactions)
    assert (await receipt_of(payment, dossier.code)).json()["status"] == "valid"
    settings = PaymentSettings(environment="development").model_copy(update={
        "database_url": database_url, "database_name": urlsplit(database_url).path[1:]})
    out = io.StringIO()
    assert await receipt_cli.run("VTH-2026-999999", "Kế toán", "nhầm", settings, out) == 2
    assert "no receipt numbered VTH-2026-999999" in out.getvalue()
    assert await receipt_cli.run(number, "Kế toán", "nhầm", settings, out) == 0
    assert f"receipt {number}: cancelled" in out.getvalue()
    assert (await receipt_of(payment, dossier.code)).json()["status"] == "cancelled"


async def test_the_receipt_is_the_pay_links_holders_and_the_paid_page_links_to_it(
        payment) -> None:
    """It names the payer: a dossier code alone (sequential, guessable) gets nothing."""
    dossier, other = Dossier(payment), Dossier(payment)
    await dossier.submit_and_accept()
    await other.submit_and_accept()
    pay_url = await dossier.pay_url()
    paid_page = await Citizen().pay(pay_url)
    await Citizen().pay(await other.pay_url())
    link = re.search(r'href="([^"]+/receipt\?[^"]+)"', paid_page.text)
    assert paid_page.status_code == 200 and link is not None, paid_page.text
    url = f"{payment.deps.base_url}/v1/payments/{dossier.code}/receipt"
    other_token = (await other.pay_url()).rsplit("/", 1)[1]
    async with httpx.AsyncClient() as client:
        printed = await client.get(link.group(1).replace("&amp;", "&"))
        again = await client.get(pay_url)  # the pay link once paid links to it too
        anonymous = await client.get(url)
        pdf_anonymous = await client.get(url, headers={"Accept": "application/pdf"})
        wrong = await client.get(url, params={"token": other_token})
        guessed = await client.get(url, params={"token": "x" * 32})
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    assert f"/v1/payments/{dossier.code}/receipt?token=" in again.text
    for refused in (anonymous, pdf_anonymous):
        assert refused.status_code == 401 and "Trần Văn Bình" not in refused.text
    for refused in (wrong, guessed):
        assert refused.status_code == 404 and "Trần Văn Bình" not in refused.text
