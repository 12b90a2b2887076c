"""The receipt of a dossier's paid fee, as the payment API serves it (and the forms issue
prints it)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from services.payment.deps import PaymentDeps
from services.payment.domain.receipts import VIETNAM
from services.payment.repository import receipts


class ReceiptLine(BaseModel):
    kind: str  # fee | postage
    label: str  # Vietnamese, as printed
    amount: Decimal


class Receipt(BaseModel):
    number: str  # <agency>-<yyyy>-<NNNNNN>
    dossier_code: str
    agency_code: str
    payer_name: str | None  # None for a dossier received before payment kept it
    lines: list[ReceiptLine]
    amount: Decimal
    currency: str = "VND"
    gateway: str = "VNPAY"
    gateway_transaction_no: str | None
    paid_at: datetime  # GMT+7, the merchant's time


async def receipt_of(dossier_code: str, deps: PaymentDeps) -> Receipt | None:
    async with deps.transactions() as uow:
        row = await receipts.of_dossier(uow.conn, dossier_code)
    if row is None:
        return None
    return Receipt(number=row["number"], dossier_code=row["dossier_code"],
                   agency_code=row["agency_code"], payer_name=row["payer_name"],
                   lines=[ReceiptLine.model_validate(line) for line in json.loads(row["lines"])],
                   amount=row["amount"], gateway_transaction_no=row["transaction_no"],
                   paid_at=row["paid_at"].astimezone(VIETNAM))


async def receipt_pdf(found: Receipt, deps: PaymentDeps) -> bytes:
    """The receipt printed as the one-stop forms are (shared/forms, its own template)."""
    import asyncio

    from shared.forms import payment_forms, render_html, render_pdf

    forms = payment_forms()
    agencies = {v.agency.code: v.agency.name for v in deps.catalog.versions}
    html = render_html(forms, forms.form("payment-receipt"), {
        "code": found.dossier_code, "number": found.number, "issued_on": found.paid_at,
        "payer_name": found.payer_name, "lines": found.lines, "amount": found.amount,
        "gateway": found.gateway, "transaction_no": found.gateway_transaction_no,
        "paid_at": found.paid_at}, agency_name=agencies.get(found.agency_code,
                                                             found.agency_code))
    return await asyncio.to_thread(render_pdf, html)
