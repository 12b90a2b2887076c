"""Payment's side effects on the shared loop: refunds through the gateway's refund API, and
querydr checks of attempts whose IPN never came. Each ends in an event: PaymentRefunded (or
ExtraPaymentRefunded) or RefundFailed; PaymentCompleted, PaymentFailed or nothing (an attempt
the gateway never heard of expires), or PaymentUnsettled when the gateway never decides."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import get_args

import asyncpg

from services.payment.adapters.gateway import QueryAnswer, VnpayGateway
from services.payment.deps import utc_now
from services.payment.domain.orders import Fee, GatewayResult, Order, Settlement, settle
from services.payment.handlers.settling import record
from services.payment.repository import fees, orders
from shared.contracts.events import (
    ExtraPaymentRefunded,
    PaymentRefunded,
    PaymentUnsettled,
    RefundFailed,
)
from shared.contracts.types import EndCause
from shared.runtime.effects import Done, Effect, Failed, Outcome, Pending, Retry

Row = asyncpg.Record
Clock = Callable[[], datetime]
REFUSED = ("02", "03", "91", "95")  # bad merchant, bad data, no such payment, not paid


def refunds(gateway: VnpayGateway, retry: Retry, *, now: Clock = utc_now,
            batch_size: int = 20) -> Effect:
    async def refund(row: Row) -> Outcome:
        """Ask first (querydr shows a refund the gateway has), then ask for it: a retry
        never refunds twice, and 94 (a request in progress) means wait."""
        if row["order_id"] is None or not row["transaction_no"]:
            return Failed("no gateway transaction to refund", permanent=True)
        if row["amount"] > row["paid"]:
            return Failed("refund exceeds what was paid", permanent=True)
        at = now()
        known = await gateway.querydr(row["txn_ref"], row["ordered_at"], at)
        if known.result is not None and known.transaction_type in ("02", "03"):
            return _refund_status(row, known)
        answer = await gateway.refund(row["id"], txn_ref=row["txn_ref"], amount=row["amount"],
                                      paid=row["paid"], transaction_no=row["transaction_no"],
                                      ordered_at=row["ordered_at"],
                                      reference=row["dossier_code"], now=at)
        if answer.response_code == "00":
            return _refund_status(row, answer)
        if answer.response_code == "94":
            return Pending()
        if answer.response_code in REFUSED:
            return Failed(f"refused by the gateway: {answer.response_code} {answer.message}",
                          permanent=True)
        return Failed(f"refund answered {answer.response_code} {answer.message}")

    async def payments_refunded(conn: asyncpg.Connection,
                                done: Sequence[tuple[Row, Done]]) -> None:
        await fees.mark_refunded(conn, [row["id"] for row, _ in done])

    return Effect(name="refund", table="refund", claim=fees.DUE_REFUNDS, attempt=refund,
                  given_up=refund_failed, settle=payments_refunded, due_status="requested",
                  done_status="completed", reference_column="gateway_refund_id", retry=retry,
                  batch_size=batch_size)


def _refund_status(row: Row, answer: QueryAnswer) -> Outcome:
    status = answer.result.transaction_status if answer.result else "05"
    if status == "09":
        return Failed("refund refused by the bank (09)", permanent=True)
    if status != "00":
        return Pending()  # 05 in progress, 06 sent to the bank
    common = {"dossier_code": row["dossier_code"], "payment_id": row["payment_id"],
              "refund_id": row["id"], "amount": row["amount"],
              "gateway_refund_id": row["id"].hex}
    event = (PaymentRefunded(**common, cause=row["cause"]) if row["cause"] in get_args(EndCause)
             else ExtraPaymentRefunded(**common))
    return Done([event], reference=row["id"].hex)


def refund_failed(row: Row, reason: str, attempts: int) -> RefundFailed:
    return RefundFailed(dossier_code=row["dossier_code"], payment_id=row["payment_id"],
                        refund_id=row["id"], amount=row["amount"], reason=reason,
                        attempts=attempts)


@dataclass(frozen=True)
class Checked(Done):
    """querydr's answer about an order, decided: settled by it, or expired (not found)."""

    settlement: Settlement | None = None
    result: GatewayResult | None = None


def checks(gateway: VnpayGateway, retry: Retry, *, now: Clock = utc_now,
           batch_size: int = 20) -> Effect:
    async def check(row: Row) -> Outcome:
        answer = await gateway.querydr(row["txn_ref"], row["ordered_at"], now())
        if answer.response_code == "91":
            return Checked()  # the gateway never heard of it: it expires
        if answer.response_code != "00" or answer.result is None:
            return Failed(f"querydr answered {answer.response_code} {answer.message}")
        if answer.result.amount != row["order_amount"]:
            return Failed("querydr reports another amount", permanent=True)
        settlement = settle(_fee(row), _order(row), answer.result)
        if not settlement.final:
            return Pending()
        return Checked(settlement.events, settlement=settlement, result=answer.result)

    async def record_checks(conn: asyncpg.Connection,
                            done: Sequence[tuple[Row, Done]]) -> None:
        at = now()
        for row, outcome in done:
            assert isinstance(outcome, Checked)
            if outcome.settlement is None or outcome.result is None:
                await orders.expire_order(conn, row["id"], at)
                continue
            await record(conn, _fee_row(row), _order(row), outcome.result, outcome.settlement,
                         by="querydr", at=at)

    return Effect(name="querydr", table="order_check", claim=orders.DUE_CHECKS, attempt=check,
                  given_up=unsettled, settle=record_checks, due_status="scheduled",
                  done_status="checked", retry=retry, batch_size=batch_size)


def unsettled(row: Row, reason: str, attempts: int) -> PaymentUnsettled:
    return PaymentUnsettled(dossier_code=row["dossier_code"], payment_id=row["payment_id"],
                            txn_ref=row["txn_ref"], reason=reason, attempts=attempts)


def _fee(row: Row) -> Fee:
    return Fee(id=row["payment_id"], dossier_code=row["dossier_code"], amount=row["fee_amount"],
               status=row["fee_status"], ended_because=row["ended_because"],
               orders_made=row["orders_made"])


def _fee_row(row: Row) -> dict[str, object]:
    return {"id": row["payment_id"], "dossier_id": row["dossier_id"],
            "dossier_code": row["dossier_code"], "causation_event_id": row["causation_event_id"],
            "correlation_id": row["correlation_id"]}


def _order(row: Row) -> Order:
    return Order(id=row["id"], txn_ref=row["txn_ref"], amount=row["order_amount"],
                 state=row["state"], settled=row["settled"])
