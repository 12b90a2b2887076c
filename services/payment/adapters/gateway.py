"""The VNPay gateway: the signed payment URL a citizen is sent to, what its IPN and return
redirect say, and its merchant web API (querydr, refund). Pointing ``url``, ``tmn_code`` and
``hash_secret`` at VNPay's own sandbox reaches it unchanged (``deploy/sandbox`` answers the same
way). A web API answer whose checksum is wrong, or a gateway down (5xx), raises."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import httpx

from services.payment.adapters import settlement, vnpay
from services.payment.domain.orders import GatewayResult
from shared.runtime.metrics import provider_answer

PAY_PAGE = "/paymentv2/vpcpay.html"
WEB_API = "/merchant_webapi/api/transaction"


class GatewayError(Exception):
    """An answer that cannot be trusted or understood: asking again may help."""


@dataclass(frozen=True)
class Merchant:
    tmn_code: str
    hash_secret: str
    return_url: str  # our return page, where the gateway sends the citizen back
    server_ip: str = "127.0.0.1"  # vnp_IpAddr of our own web API calls


@dataclass(frozen=True)
class QueryAnswer:
    """A querydr answer: its code, and the transaction when the gateway knows it. For a
    refunded order, ``transaction_type`` is 02 (full) or 03 (partial) and the status the
    refund's (05, 06, 00 or 09)."""

    response_code: str
    message: str = ""
    result: GatewayResult | None = None
    transaction_type: str | None = None


class VnpayGateway:
    def __init__(self, client: httpx.AsyncClient, merchant: Merchant) -> None:
        self._client, self.merchant = client, merchant

    def payment_url(self, *, txn_ref: str, amount: Decimal, order_info: str,
                    created_at: datetime, expires_at: datetime, ip_addr: str) -> str:
        params = vnpay.payment_params(
            tmn_code=self.merchant.tmn_code, txn_ref=txn_ref, amount=amount,
            order_info=order_info, created_at=created_at, expires_at=expires_at,
            return_url=self.merchant.return_url, ip_addr=ip_addr)
        page = str(self._client.base_url).rstrip("/") + PAY_PAGE
        return vnpay.signed_url(page, params, self.merchant.hash_secret)

    def verify(self, params: Mapping[str, str]) -> bool:
        return vnpay.verify(params, self.merchant.hash_secret) and \
            params.get("vnp_TmnCode") == self.merchant.tmn_code

    async def querydr(self, txn_ref: str, ordered_at: datetime, now: datetime) -> QueryAnswer:
        body = self._api_body("querydr", uuid.uuid4().hex, now, vnp_TxnRef=txn_ref,
                              vnp_TransactionDate=vnpay.vnp_date(ordered_at),
                              vnp_OrderInfo=f"Truy van giao dich {txn_ref}")
        answer = await self._call(body, vnpay.QUERYDR, vnpay.QUERYDR_ANSWER)
        return _query_answer(answer)

    async def refund(self, request_id: uuid.UUID, *, txn_ref: str, amount: Decimal,
                     paid: Decimal, transaction_no: str, ordered_at: datetime,
                     reference: str, now: datetime) -> QueryAnswer:
        """Full (02) or partial (03) refund; ``request_id`` is derived from the refund, so a
        request sent again the same day is a duplicate (94) for the gateway."""
        body = self._api_body("refund", request_id.hex, now,
                              vnp_TransactionType="02" if amount == paid else "03",
                              vnp_TxnRef=txn_ref, vnp_Amount=vnpay.vnp_amount(amount),
                              vnp_TransactionNo=transaction_no,
                              vnp_TransactionDate=vnpay.vnp_date(ordered_at),
                              vnp_CreateBy="mot-cua",
                              vnp_OrderInfo=f"Hoan tra phi le phi ho so {reference}")
        answer = await self._call(body, vnpay.REFUND, vnpay.REFUND_ANSWER)
        return _query_answer(answer)

    async def settlement(self, day: date) -> list[settlement.Settled]:
        """The day's settlement file (GMT+7), as the sandbox serves it."""
        return await settlement.fetch(self._client, day)

    def _api_body(self, command: str, request_id: str, now: datetime,
                  **fields: str) -> dict[str, str]:
        return {"vnp_RequestId": request_id, "vnp_Version": vnpay.VERSION,
                "vnp_Command": command, "vnp_TmnCode": self.merchant.tmn_code,
                "vnp_CreateDate": vnpay.vnp_date(now), "vnp_IpAddr": self.merchant.server_ip,
                **fields}

    async def _call(self, body: dict[str, str], fields: tuple[str, ...],
                    answer_fields: tuple[str, ...]) -> dict[str, str]:
        body["vnp_SecureHash"] = vnpay.api_checksum(fields, body, self.merchant.hash_secret)
        response = await self._client.post(WEB_API, json=body)
        response.raise_for_status()
        answer: dict[str, str] = {k: str(v) for k, v in response.json().items()}
        provider_answer("vnpay", answer.get("vnp_ResponseCode"), body["vnp_Command"])
        if answer.get("vnp_ResponseCode") != "97" and not vnpay.api_verify(
                answer_fields, answer, self.merchant.hash_secret):
            raise GatewayError(f"{body['vnp_Command']}: the answer's checksum is wrong")
        return answer


def result_of(params: Mapping[str, str]) -> GatewayResult:
    """The gateway's word about an order, from an IPN's (or a return's) parameters or a
    querydr answer; a missing or malformed field raises (KeyError, ValueError)."""
    pay_date = params.get("vnp_PayDate")
    return GatewayResult(
        txn_ref=params["vnp_TxnRef"], amount=vnpay.amount_of(params["vnp_Amount"]),
        response_code=params["vnp_ResponseCode"],
        transaction_status=params["vnp_TransactionStatus"],
        transaction_no=params.get("vnp_TransactionNo") or None,
        bank_code=params.get("vnp_BankCode") or None,
        paid_at=vnpay.parse_vnp_date(pay_date) if pay_date else None)


def _query_answer(answer: dict[str, str]) -> QueryAnswer:
    """querydr's own code says whether the gateway knows the order; the transaction's status
    says how it went (the payment's response code is not in the answer: 00 exactly when the
    status is 00, 07 when held as suspicious, else 99)."""
    code, status = answer.get("vnp_ResponseCode", "99"), answer.get("vnp_TransactionStatus")
    if code != "00" or status is None:
        return QueryAnswer(code, answer.get("vnp_Message", ""))
    paid_code = status if status in ("00", "07") else "99"
    return QueryAnswer(code, answer.get("vnp_Message", ""),
                       result_of({**answer, "vnp_ResponseCode": paid_code}),
                       answer.get("vnp_TransactionType"))
