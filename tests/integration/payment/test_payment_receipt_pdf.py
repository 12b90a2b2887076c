"""The receipt (biên lai) printed as the one-stop forms are: ``Accept: application/pdf``."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.payment.support import Citizen, Dossier
from tests.unit.test_forms import MOTTO, pdf_text

pytestmark = pytest.mark.integration


async def test_a_paid_fees_receipt_prints_as_pdf_and_stays_json_by_default(payment) -> None:
    dossier = Dossier(payment)
    await dossier.submit_and_accept()
    await Citizen().pay(await dossier.pay_url())
    url = f"{payment.deps.base_url}/v1/payments/{dossier.code}/receipt"
    token = {"token": (await dossier.pay_url()).rsplit("/", 1)[1]}
    async with httpx.AsyncClient() as client:
        printed = await client.get(url, params=token, headers={"Accept": "application/pdf"})
        plain = await client.get(url, params=token, headers={"Accept": "*/*"})
        missing = await client.get(f"{payment.deps.base_url}/v1/payments/VTH-250123-99999"
                                   "/receipt", params=token,
                                   headers={"Accept": "application/pdf"})
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    text = pdf_text(printed.content)
    receipt = plain.json()
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", *MOTTO, f"Số: {receipt['number']}",
                     dossier.code, "Trần Văn Bình", "Phí, lệ phí giải quyết thủ tục hành chính",
                     "Ủy ban nhân dân huyện Vĩnh Thạnh".upper(), receipt["gateway_transaction_no"]):
        assert expected in text, expected
    assert missing.status_code == 404
