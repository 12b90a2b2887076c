"""Sandbox VNPay gateway (2.1.0), as rude as the real one. It signs and verifies as VNPay
does (``vnpay_signing``), so payment's adapter reaches VNPay's own sandbox by changing the
URL, TmnCode and hash secret.

- ``GET /payment/paymentv2/vpcpay.html?vnp_…``: the bank page, one button per scenario:
  ``00`` pays, ``24`` cancelled, ``51`` insufficient balance, ``11`` expired, ``07`` money
  taken but suspicious, ``75`` bank maintenance, ``pending`` leaves it pending at the bank.
  Posting the choice records the transaction, sends the IPN to the merchant's IPN URL and
  redirects the citizen to ``vnp_ReturnUrl``.
- IPN delivery: an answer other than RspCode 00 or 02, or none, is retried 10 times, 5 minutes
  apart, on the sandbox's clock (``POST /payment/_sandbox/vnpay/clock {"advance_s": 300}``
  moves it in tests; ``python -m deploy.sandbox`` follows real time).
- Switches, ``PUT /payment/_sandbox/vnpay/switches``: ``duplicate_ipn`` (each IPN twice, at
  once), ``hold_ipn`` (IPNs wait for ``POST …/ipn/release {"reverse": true}``: out of order),
  ``drop_ipn``, ``drop_return`` (the citizen is not sent back), ``refund_outcome`` (``00`` or
  ``09``). ``POST …/transactions/{txn_ref}/settle {"choice": "00"}`` decides a pending one.
- The merchant web API (querydr, refund with statuses 05 → 06 → 00 or 09): ``vnpay_api``.
- The daily settlement file (CSV, as the merchant portal exports it): ``vnpay_settlement``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from html import escape
from typing import Any

import httpx
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from deploy.sandbox import vnpay_signing as signing
from deploy.sandbox.outbound import Clock, Outbound

GMT7 = timezone(timedelta(hours=7))
RETRY_EVERY, RETRIES = timedelta(minutes=5), 10
# choice -> (vnp_ResponseCode, vnp_TransactionStatus)
CHOICES = {"00": ("00", "00"), "24": ("24", "02"), "51": ("51", "02"), "11": ("11", "02"),
           "07": ("07", "07"), "75": ("75", "02"), "pending": ("00", "01")}
LABELS = {"00": "Thanh toán thành công", "24": "Hủy giao dịch", "51": "Không đủ số dư",
          "11": "Hết thời gian chờ", "07": "Trừ tiền, nghi ngờ gian lận",
          "75": "Ngân hàng bảo trì", "pending": "Để chờ xử lý"}
DEV_MERCHANT = ("MOTCUA01", "MOTCUADEVHASHSECRETVNPAY2025SBX0")  # README, "Paying a fee"


def vnp_date(at: datetime) -> str:
    return at.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


@dataclass
class Delivery:
    params: dict[str, str]
    due_at: datetime
    tries: int = 0
    held: bool = False
    answers: list[str] = field(default_factory=list)


@dataclass
class Transaction:
    request: dict[str, str]
    response_code: str = ""
    status: str = ""  # "" until the citizen chose
    number: str = ""
    paid_at: datetime | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)


class Switches(BaseModel):
    duplicate_ipn: bool = False
    hold_ipn: bool = False
    drop_ipn: bool = False
    drop_return: bool = False
    refund_outcome: str = "00"
    # The settlement file's faults (vnpay_settlement): TxnRefs it leaves out, amounts (VND)
    # it reports instead of the paid ones, and transactions the merchant never heard of.
    settlement_omit: list[str] = []
    settlement_amounts: dict[str, int] = {}
    settlement_unknown: int = 0
    # The same for refunds (keyed by the refunded order's TxnRef): left out, or reported with
    # another amount (VND).
    settlement_omit_refunds: list[str] = []
    settlement_refund_amounts: dict[str, int] = {}


class VnpaySandbox:
    def __init__(self, ipn_url: str, tmn_code: str = DEV_MERCHANT[0],
                 secret: str = DEV_MERCHANT[1], refund_step: timedelta = timedelta(seconds=5),
                 now: datetime | None = None) -> None:
        self.ipn_url, self.tmn_code, self.secret = ipn_url, tmn_code, secret
        self._outbound = Outbound(timeout_s=10)  # one client for the gateway's life
        self._clock = Clock()
        self.now = now or datetime.now(UTC)
        self.refund_step = refund_step
        self.switches = Switches()
        self.transactions: dict[str, Transaction] = {}
        self.deliveries: list[Delivery] = []
        self.request_ids: set[tuple[str, str]] = set()  # (day, vnp_RequestId)
        self._numbers = itertools.count(14_000_001)

    @classmethod
    def from_env(cls) -> VnpaySandbox:
        port = os.environ.get("PAYMENT_HTTP_PORT", "8003")
        return cls(os.environ.get("SANDBOX_VNPAY_IPN_URL",
                                  f"http://127.0.0.1:{port}/v1/gateways/vnpay/ipn"),
                   os.environ.get("SANDBOX_VNPAY_TMN_CODE", DEV_MERCHANT[0]),
                   os.environ.get("SANDBOX_VNPAY_HASH_SECRET", DEV_MERCHANT[1]))

    def next_number(self) -> str:
        return str(next(self._numbers))

    def result_params(self, txn_ref: str) -> dict[str, str]:
        txn = self.transactions[txn_ref]
        params = {k: v for k, v in txn.request.items()
                  if k in ("vnp_Amount", "vnp_OrderInfo", "vnp_TxnRef", "vnp_TmnCode")}
        params.update(vnp_ResponseCode=txn.response_code, vnp_TransactionStatus=txn.status,
                      vnp_TransactionNo=txn.number, vnp_BankCode="NCB", vnp_CardType="ATM",
                      vnp_PayDate=vnp_date(txn.paid_at or self.now))
        return params

    async def decide(self, txn_ref: str, choice: str) -> None:
        txn = self.transactions[txn_ref]
        txn.response_code, txn.status = CHOICES[choice]
        txn.number, txn.paid_at = txn.number or self.next_number(), self.now
        if choice == "pending" or self.switches.drop_ipn:
            return
        copies = 2 if self.switches.duplicate_ipn else 1
        new = [Delivery(self.result_params(txn_ref), self.now, held=self.switches.hold_ipn)
               for _ in range(copies)]
        self.deliveries += new
        await asyncio.gather(*(self._send(d) for d in new if not d.held))

    async def _send(self, delivery: Delivery) -> None:
        delivery.tries += 1
        query = signing.signed_query(delivery.params, self.secret)
        try:
            client = self._outbound()
            answer = (await client.get(f"{self.ipn_url}?{query}")).json().get("RspCode") \
                or "no answer"
        except (httpx.HTTPError, ValueError):
            answer = "no answer"
        delivery.answers.append(answer)
        delivery.due_at = self.now + RETRY_EVERY

    def _open(self, delivery: Delivery) -> bool:
        done = bool(delivery.answers) and delivery.answers[-1] in ("00", "02")
        return not done and delivery.tries < RETRIES and not delivery.held

    async def advance(self, seconds: float = 0, *, to: datetime | None = None) -> int:
        """Move the clock; deliver the IPNs that are due again (one after another: the
        order they are sent in is a switch's business); step the refunds."""
        async with self._clock.moving:
            return await self._advance(seconds, to)

    async def _advance(self, seconds: float, to: datetime | None) -> int:
        self.now = self._clock.moved(self.now, seconds, to)
        due = [d for d in self.deliveries if self._open(d) and d.due_at <= self.now]
        for delivery in due:
            await self._send(delivery)
        for txn in self.transactions.values():
            for refund in txn.refunds:
                if refund["status"] in ("05", "06") and refund["step_at"] <= self.now:
                    refund["status"] = "06" if refund["status"] == "05" else \
                        self.switches.refund_outcome
                    refund["step_at"] = self.now + self.refund_step
                    if refund["status"] == "00":
                        refund["done_at"] = self.now
        return len(due)

    async def release(self, reverse: bool) -> int:
        held = [d for d in self.deliveries if d.held]
        for delivery in reversed(held) if reverse else held:
            delivery.held = False
            await self._send(delivery)
        return len(held)


def bank_page(sandbox: VnpaySandbox, params: dict[str, str]) -> str:
    amount = f"{int(params['vnp_Amount']) // 100:,}".replace(",", ".")
    buttons = "".join(f'<button type="submit" name="choice" value="{c}">{escape(label)}</button>'
                      for c, label in LABELS.items())
    return (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>VNPay sandbox'
            f'</title></head><body><h1>Cổng thanh toán (sandbox)</h1>'
            f'<p>{escape(params["vnp_OrderInfo"])}</p><p>Số tiền: {amount} VND</p>'
            f'<form method="post" action="bank"><input type="hidden" name="vnp_TxnRef" '
            f'value="{escape(params["vnp_TxnRef"])}">{buttons}</form></body></html>')


def router(sandbox: VnpaySandbox) -> APIRouter:
    from deploy.sandbox import vnpay_api

    api = APIRouter(prefix="/payment", tags=["VNPay gateway (sandbox)"])

    @api.get("/paymentv2/vpcpay.html", response_class=HTMLResponse)
    async def pay_page(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        if not signing.query_ok(params, sandbox.secret) or \
                params.get("vnp_TmnCode") != sandbox.tmn_code:
            return HTMLResponse("<p>Sai chữ ký (97)</p>", status_code=400)
        if params["vnp_ExpireDate"] < vnp_date(sandbox.now):
            return HTMLResponse("<p>Giao dịch đã quá thời gian chờ thanh toán (11)</p>", 400)
        known = sandbox.transactions.setdefault(params["vnp_TxnRef"], Transaction(params))
        if known.status:
            return HTMLResponse("<p>Giao dịch đã được xử lý (02)</p>", status_code=409)
        return HTMLResponse(bank_page(sandbox, params))

    @api.post("/paymentv2/bank")
    async def bank(vnp_TxnRef: str = Form(), choice: str = Form()) -> Response:
        txn = sandbox.transactions.get(vnp_TxnRef)
        if txn is None or txn.status or choice not in CHOICES:
            raise HTTPException(409, "no such transaction to pay, or paid already")
        await sandbox.decide(vnp_TxnRef, choice)
        if sandbox.switches.drop_return:
            return HTMLResponse("<p>Giao dịch đã được xử lý.</p>")
        query = signing.signed_query(sandbox.result_params(vnp_TxnRef), sandbox.secret)
        return RedirectResponse(f"{txn.request['vnp_ReturnUrl']}?{query}", status_code=303)

    from deploy.sandbox import vnpay_settlement

    api.include_router(vnpay_api.router(sandbox))
    api.include_router(vnpay_settlement.router(sandbox))
    api.include_router(vnpay_api.switches(sandbox))
    return api

