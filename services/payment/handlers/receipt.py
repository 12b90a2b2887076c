"""The receipt of a dossier's paid fee, as the payment API serves it (and the forms issue
prints it); and its cancellation when it was issued in error."""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

import structlog
from pydantic import BaseModel

from services.payment.deps import PaymentDeps
from services.payment.domain.receipts import VIETNAM
from services.payment.repository import receipts
from shared.contracts.events import ReceiptCancelled
from shared.runtime.outbox import Transactions

log = structlog.get_logger(__name__)


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
    status: Literal["valid", "cancelled"] = "valid"
    cancelled_at: datetime | None = None  # GMT+7
    cancel_reason: str | None = None


async def receipt_of(dossier_code: str, token: str, deps: PaymentDeps) -> Receipt | None:
    """The receipt of the dossier's paid fee for the holder of that fee's pay link
    (``token``, the capability the citizen was given to pay); None when there is none, or
    the token is not that dossier's: a code alone learns nothing, not even that it exists."""
    async with deps.transactions() as uow:
        row = await receipts.of_pay_token(uow.conn, token)
    if row is None or not hmac.compare_digest(row["dossier_code"].encode(),
                                              dossier_code.encode()):
        return None
    return Receipt(number=row["number"], dossier_code=row["dossier_code"],
                   agency_code=row["agency_code"], payer_name=row["payer_name"],
                   lines=[ReceiptLine.model_validate(line) for line in json.loads(row["lines"])],
                   amount=row["amount"], gateway_transaction_no=row["transaction_no"],
                   paid_at=row["paid_at"].astimezone(VIETNAM),
                   status="cancelled" if row["cancelled_at"] else "valid",
                   cancelled_at=row["cancelled_at"] and row["cancelled_at"].astimezone(VIETNAM),
                   cancel_reason=row["cancel_reason"])


class ReceiptNotFound(LookupError):
    """No receipt has that number."""


async def cancel_receipt(number: str, *, by: str, reason: str, at: datetime,
                         transactions: Transactions,
                         ) -> Literal["cancelled", "already cancelled"]:
    """Cancel the receipt ``number`` and say so (``ReceiptCancelled``), once: a second
    cancellation changes nothing and repeats no event."""
    reason, by = reason.strip(), by.strip()
    if not reason or not by:
        raise ValueError("a cancellation needs who cancels and why")
    async with transactions() as uow:
        row = await receipts.lock(uow.conn, number)
        if row is None:
            raise ReceiptNotFound(number)
        if row["cancelled_at"] is not None:
            return "already cancelled"
        await receipts.cancel(uow.conn, number, at, by, reason)
        uow.emit(ReceiptCancelled(dossier_code=row["dossier_code"], receipt_number=number,
                                  amount=row["amount"], reason=reason[:500],
                                  cancelled_by=by[:200], cancelled_at=at),
                 dossier_id=row["dossier_id"], correlation_id=row["correlation_id"],
                 causation_id=row["causation_event_id"],
                 event_id=uuid.uuid5(uuid.NAMESPACE_URL,
                                     f"mot-cua:payment:receipt-cancelled:{number}"))
        await uow.commit()
    log.info("receipt cancelled", receipt_number=number, dossier_code=row["dossier_code"])
    return "cancelled"


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
        "paid_at": found.paid_at, "cancelled_at": found.cancelled_at,
        "cancel_reason": found.cancel_reason},
        agency_name=agencies.get(found.agency_code, found.agency_code))
    return await asyncio.to_thread(render_pdf, html)
