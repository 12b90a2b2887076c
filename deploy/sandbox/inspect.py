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
    parcels = getattr(request.app.state, "carrier", None)
    # Our client order code is ``{dossier_code}-{attempt}``: a second order for one dossier's
    # attempt would be a duplicate shipment (the carrier refuses a code it has, so it would
    # come under another attempt number; a reship after a loss is a new attempt on purpose).
    shipments = [
        {"idempotency_key": order["client_order_code"],
         "reference": order["client_order_code"].rsplit("-", 1)[0],
         "tracking_code": order["order_code"], "status": order["status"]}
        for order in (parcels.ledger() if parcels is not None else ())
    ]
    texts = getattr(request.app.state, "sms", None)
    messages = [
        {"idempotency_key": entry.request_id, "to": entry.phone, "text": entry.content,
         "status": entry.code}
        for entry in (texts.ledger if texts is not None else ()) if entry.code == "100"
    ]
    return {"payments": payments, "shipments": shipments, "sms": messages}
