"""The sandbox VNPay's merchant web API (``POST /payment/merchant_webapi/api/transaction``:
querydr and refund, checksums over ``|``-joined fields) and the switches tests use."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from deploy.sandbox import vnpay_signing as signing
from deploy.sandbox.vnpay import CHOICES, Switches, VnpaySandbox, vnp_date


def _answer(sandbox: VnpaySandbox, body: dict[str, Any], code: str, message: str,
            fields: str, **extra: str) -> dict[str, str]:
    answer = {"vnp_ResponseId": uuid.uuid4().hex, "vnp_Command": body.get("vnp_Command", ""),
              "vnp_ResponseCode": code, "vnp_Message": message, "vnp_TmnCode": sandbox.tmn_code,
              "vnp_TxnRef": str(body.get("vnp_TxnRef", "")), **extra}
    answer["vnp_SecureHash"] = signing.fields_hash(fields.split(), answer, sandbox.secret)
    return answer


def _transaction_fields(sandbox: VnpaySandbox, txn_ref: str) -> dict[str, str]:
    txn = sandbox.transactions[txn_ref]
    kind, status = "01", txn.status or "01"
    if txn.refunds:
        kind, status = txn.refunds[-1]["type"], txn.refunds[-1]["status"]
    return {"vnp_Amount": txn.request["vnp_Amount"], "vnp_BankCode": "NCB",
            "vnp_PayDate": vnp_date(txn.paid_at or sandbox.now), "vnp_TransactionNo": txn.number,
            "vnp_TransactionType": kind, "vnp_TransactionStatus": status,
            "vnp_OrderInfo": txn.request["vnp_OrderInfo"]}


def router(sandbox: VnpaySandbox) -> APIRouter:
    api = APIRouter()

    @api.post("/merchant_webapi/api/transaction")
    async def transaction(body: dict[str, Any]) -> dict[str, str]:
        command = body.get("vnp_Command")
        names = signing.QUERYDR if command == "querydr" else signing.REFUND
        answer_fields = signing.QUERYDR_ANSWER if command == "querydr" else signing.REFUND_ANSWER
        if command not in ("querydr", "refund") or not str(body.get("vnp_SecureHash", "")) or \
                body["vnp_SecureHash"] != signing.fields_hash(names.split(), body,
                                                              sandbox.secret):
            return _answer(sandbox, body, "97", "Invalid checksum", answer_fields)
        day, request_id = vnp_date(sandbox.now)[:8], str(body.get("vnp_RequestId"))
        if (day, request_id) in sandbox.request_ids:
            return _answer(sandbox, body, "94", "Duplicate request", answer_fields)
        sandbox.request_ids.add((day, request_id))
        txn_ref = str(body.get("vnp_TxnRef"))
        txn = sandbox.transactions.get(txn_ref)
        if txn is None or not txn.status:
            return _answer(sandbox, body, "91", "Transaction not found", answer_fields)
        if command == "querydr":
            return _answer(sandbox, body, "00", "Success", answer_fields,
                           **_transaction_fields(sandbox, txn_ref))
        if txn.status != "00" or txn.response_code != "00":
            return _answer(sandbox, body, "95", "Transaction not successful", answer_fields)
        refunded = sum(int(r["amount"]) for r in txn.refunds if r["status"] != "09")
        if int(body["vnp_Amount"]) + refunded > int(txn.request["vnp_Amount"]):
            return _answer(sandbox, body, "03", "Invalid amount", answer_fields)
        number = sandbox.next_number()
        txn.refunds.append({"type": body["vnp_TransactionType"], "amount": body["vnp_Amount"],
                            "status": "05", "step_at": sandbox.now + sandbox.refund_step,
                            "request_id": request_id, "number": number, "done_at": None})
        fields = _transaction_fields(sandbox, txn_ref)
        fields.pop("vnp_TransactionNo")
        return _answer(sandbox, body, "00", "Refund accepted", answer_fields, **fields,
                       vnp_TransactionNo=number)

    return api


class Advance(BaseModel):
    advance_s: float = 0


class Release(BaseModel):
    reverse: bool = False


class Settle(BaseModel):
    choice: str


def switches(sandbox: VnpaySandbox) -> APIRouter:
    api = APIRouter(prefix="/_sandbox/vnpay", include_in_schema=False)

    @api.put("/switches")
    async def set_switches(body: Switches) -> Switches:
        sandbox.switches = body
        return body

    @api.post("/clock")
    async def advance(body: Advance) -> dict[str, object]:
        delivered = await sandbox.advance(body.advance_s)
        return {"now": sandbox.now.isoformat(), "delivered": delivered}

    @api.post("/ipn/release")
    async def release(body: Release) -> dict[str, int]:
        return {"delivered": await sandbox.release(body.reverse)}

    @api.post("/transactions/{txn_ref}/settle")
    async def settle(txn_ref: str, body: Settle) -> dict[str, str]:
        txn = sandbox.transactions.get(txn_ref)
        if txn is None or txn.status != "01" or body.choice not in CHOICES:
            raise HTTPException(409, "no pending transaction to settle")
        txn.status = ""
        await sandbox.decide(txn_ref, body.choice)
        return {"status": txn.status}

    @api.get("/transactions/{txn_ref}")
    async def inspect(txn_ref: str) -> dict[str, object]:
        txn = sandbox.transactions.get(txn_ref)
        if txn is None:
            raise HTTPException(404, "no such transaction")
        ipns = [d.answers for d in sandbox.deliveries if d.params["vnp_TxnRef"] == txn_ref]
        return {"response_code": txn.response_code, "status": txn.status,
                "transaction_no": txn.number, "refunds": [
                    {k: v for k, v in r.items() if k not in ("step_at", "done_at")}
                    for r in txn.refunds],
                "ipn_answers": ipns}

    return api
