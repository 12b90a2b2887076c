"""The sandbox VNPay's daily settlement file, in the shape of the merchant portal's export:
``GET /payment/_sandbox/vnpay/settlement?date=YYYY-MM-DD`` answers a CSV (UTF-8, a header
row, comma separated) of the day's successful payments and completed refunds, the day in GMT+7:

    transaction_no,txn_ref,amount,bank_code,status,pay_date,transaction_type
    14000001,3F2A…,75000,NCB,00,20250123103000,01
    14000007,3F2A…,25000,NCB,00,20250123150000,03

``amount`` in VND (not ×100), ``status`` the ``vnp_TransactionStatus`` (``00``), ``pay_date``
``yyyyMMddHHmmss`` GMT+7 (for a refund, when it completed), ``transaction_type`` VNPay's
``vnp_TransactionType``: ``01`` a payment, ``02`` a full refund, ``03`` a partial one (a
refund's ``txn_ref`` is the refunded order's). The switches ``settlement_omit``,
``settlement_amounts`` and ``settlement_unknown`` make the file disagree with the merchant,
one fault each; ``settlement_omit_refunds`` and ``settlement_refund_amounts`` do the same
for refunds."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from deploy.sandbox.vnpay import GMT7, VnpaySandbox, vnp_date

COLUMNS = ("transaction_no", "txn_ref", "amount", "bank_code", "status", "pay_date",
           "transaction_type")


def settlement_rows(sandbox: VnpaySandbox, day: date) -> list[dict[str, str]]:
    switches = sandbox.switches
    rows = []
    for txn_ref, txn in sandbox.transactions.items():
        if txn.status != "00" or txn.paid_at is None or \
                txn.paid_at.astimezone(GMT7).date() != day or txn_ref in switches.settlement_omit:
            continue
        amount = switches.settlement_amounts.get(txn_ref, int(txn.request["vnp_Amount"]) // 100)
        rows.append({"transaction_no": txn.number, "txn_ref": txn_ref, "amount": str(amount),
                     "bank_code": "NCB", "status": "00", "pay_date": vnp_date(txn.paid_at),
                     "transaction_type": "01"})
    for txn_ref, txn in sandbox.transactions.items():
        for refund in txn.refunds:
            done = refund.get("done_at")
            if refund["status"] != "00" or done is None or done.astimezone(GMT7).date() != day \
                    or txn_ref in switches.settlement_omit_refunds:
                continue
            amount = switches.settlement_refund_amounts.get(txn_ref,
                                                            int(refund["amount"]) // 100)
            rows.append({"transaction_no": refund["number"], "txn_ref": txn_ref,
                         "amount": str(amount), "bank_code": "NCB", "status": "00",
                         "pay_date": vnp_date(done), "transaction_type": refund["type"]})
    for n in range(switches.settlement_unknown):
        stranger = uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-stranger:{day}:{n}").hex.upper()
        rows.append({"transaction_no": str(19_000_001 + n), "txn_ref": stranger,
                     "amount": "50000", "bank_code": "NCB", "status": "00",
                     "pay_date": day.strftime("%Y%m%d") + "120000", "transaction_type": "01"})
    return rows


def settlement_csv(sandbox: VnpaySandbox, day: date) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(settlement_rows(sandbox, day))
    return out.getvalue()


def router(sandbox: VnpaySandbox) -> APIRouter:
    api = APIRouter(prefix="/_sandbox/vnpay")

    @api.get("/settlement", response_class=Response,
             responses={200: {"content": {"text/csv": {}}}})
    async def settlement(day: Annotated[date, Query(alias="date")]) -> Response:
        return Response(settlement_csv(sandbox, day), media_type="text/csv; charset=utf-8")

    return api
