"""``GET /_sandbox/ledger``: what every sandbox gateway has recorded, read-only, for checks
from outside the system (tests/chaos counts duplicate charges, refunds, shipments and SMS
from here, not from the services' own databases).

Each gateway is idempotent by key, so a retried call with the same key is one entry; a
*duplicate side effect* shows here as two entries with different keys for one business
thing (two paid transactions for one order, two shipments for one dossier, one text sent
twice to one number).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from deploy.sandbox import carrier, sms

router = APIRouter(prefix="/_sandbox", tags=["inspection (sandbox)"])


@router.get("/ledger", summary="Every charge, refund, shipment and SMS the sandboxes recorded")
async def ledger(request: Request) -> dict[str, list[dict[str, Any]]]:
    vnpay = getattr(request.app.state, "vnpay", None)
    payments = [
        {"txn_ref": ref, "order_info": txn.request.get("vnp_OrderInfo", ""),
         "amount": txn.request.get("vnp_Amount"), "status": txn.status,
         "response_code": txn.response_code, "transaction_no": txn.number,
         "refunds": [{k: v for k, v in r.items() if k != "step_at"} for r in txn.refunds]}
        for ref, txn in (vnpay.transactions.items() if vnpay is not None else ())
    ]
    shipments = [
        {"idempotency_key": key, "reference": entry.get("request", {}).get("reference"),
         "tracking_code": entry.get("tracking_code"),
         "status": entry.get("response", {}).get("status")}
        for key, entry in getattr(carrier, "_shipments", {}).items()
    ]
    messages = [
        {"idempotency_key": key, "to": entry.get("to"), "text": entry.get("text"),
         "status": entry.get("status")}
        for key, entry in getattr(sms, "_messages", {}).items()
    ]
    return {"payments": payments, "shipments": shipments, "sms": messages}
