"""The citizen's side: the link starts a fresh attempt (a new order, a new vnp_TxnRef) and
sends the citizen to the gateway's signed page; the return page only reads what we know."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from services.payment.adapters.gateway import result_of
from services.payment.deps import PaymentDeps
from services.payment.domain.orders import txn_ref_of
from services.payment.repository import fees, orders

LinkState = Literal["unknown", "paid", "closed"]


class LinkNotPayable(Exception):
    """The link leads to nothing to pay: unknown, paid already, or the fee was cancelled."""

    def __init__(self, state: LinkState, dossier_code: str | None = None) -> None:
        super().__init__(state)
        self.state, self.dossier_code = state, dossier_code


async def start_attempt(token: str, ip_addr: str, deps: PaymentDeps) -> str:
    """A new order for the fee (older open ones are superseded); the gateway URL to go to."""
    now = deps.now()
    async with deps.transactions() as uow:
        fee = await fees.lock_fee_by_token(uow.conn, token)
        if fee is None:
            raise LinkNotPayable("unknown")
        if fee["status"] != "requested":
            raise LinkNotPayable("paid" if fee["status"] == "completed" else "closed",
                                 fee["dossier_code"])
        await orders.supersede_orders(uow.conn, fee["id"])
        procedure = await fees.procedure_of(uow.conn, fee["dossier_id"])
        expires_at = now + deps.orders.ttl_of(procedure and procedure["procedure_code"])
        order_id = uuid.uuid4()
        await orders.create_order(uow.conn, order_id, fee, txn_ref_of(order_id), now,
                                  expires_at, expires_at + deps.orders.querydr_after)
        await uow.commit()
    return deps.vnpay.payment_url(
        txn_ref=txn_ref_of(order_id), amount=fee["amount"],
        order_info=f"Thanh toán phí, lệ phí hồ sơ {fee['dossier_code']}", created_at=now,
        expires_at=expires_at, ip_addr=ip_addr)


@dataclass(frozen=True)
class ReturnView:
    """What the return page says: ``paid`` (we recorded it), ``confirming`` (the gateway
    says paid, its IPN is not recorded yet), ``pending``, ``declined`` or ``invalid``."""

    outcome: Literal["paid", "confirming", "pending", "declined", "invalid"]
    dossier_code: str | None = None
    response_code: str | None = None
    pay_url: str | None = None
    receipt_url: str | None = None


async def read_return(params: Mapping[str, str], deps: PaymentDeps) -> ReturnView:
    """Read only: the return redirect is the citizen's browser, not the gateway's word."""
    if not deps.vnpay.verify(params):
        return ReturnView("invalid")
    try:
        result = result_of(params)
    except (KeyError, ValueError):
        return ReturnView("invalid")
    async with deps.transactions.pool.acquire() as conn:
        order = await orders.order(conn, result.txn_ref)
        fee = order and await conn.fetchrow(
            "SELECT dossier_code, status, pay_token FROM payment WHERE id = $1",
            order["payment_id"])
    if not order or not fee:
        return ReturnView("invalid")
    code, again = fee["dossier_code"], deps.pay_url(fee["pay_token"])
    if order["state"] == "succeeded" or fee["status"] == "completed":
        return ReturnView("paid", code, receipt_url=deps.receipt_url(code, fee["pay_token"]))
    if result.outcome == "succeeded":
        return ReturnView("confirming", code)
    if result.outcome == "pending":
        return ReturnView("pending", code, result.response_code)
    return ReturnView("declined", code, result.response_code, again)
