"""Payment's side effects: charge the requested fees, send the requested refunds. Both go to
the gateway with an idempotency key (the payment id, the refund id) and end in an event:
PaymentCompleted or PaymentFailed, PaymentRefunded or RefundFailed."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.payment import repository
from services.payment.adapters.gateway import GatewayAnswer, PaymentGateway
from shared.contracts.events import PaymentCompleted, PaymentFailed, PaymentRefunded, RefundFailed
from shared.runtime.effects import Done, Effect, Failed, Outcome, Pending, Retry

Row = asyncpg.Record


def charges(gateway: PaymentGateway, retry: Retry, *, batch_size: int = 20) -> Effect:
    async def charge(row: Row) -> Outcome:
        answer = await gateway.charge(row["id"], row["amount"], row["dossier_code"])
        if answer.status != "succeeded":
            return undecided(answer)
        return Done([PaymentCompleted(dossier_code=row["dossier_code"], payment_id=row["id"],
                                      amount=row["amount"],
                                      gateway_transaction_id=answer.transaction_id)],
                    reference=answer.transaction_id)

    return Effect(name="charge", table="payment", claim=repository.DUE_CHARGES, attempt=charge,
                  given_up=charge_failed, due_status="requested", done_status="completed",
                  reference_column="gateway_transaction_id", retry=retry,
                  batch_size=batch_size)


def refunds(gateway: PaymentGateway, retry: Retry, *, batch_size: int = 20) -> Effect:
    async def refund(row: Row) -> Outcome:
        answer = await gateway.refund(row["id"], row["gateway_transaction_id"], row["amount"],
                                      row["dossier_code"])
        if answer.status != "succeeded":
            return undecided(answer)
        return Done([PaymentRefunded(dossier_code=row["dossier_code"],
                                     payment_id=row["payment_id"], refund_id=row["id"],
                                     amount=row["amount"],
                                     gateway_refund_id=answer.transaction_id,
                                     cause=row["cause"])],
                    reference=answer.transaction_id)

    async def payments_refunded(conn: asyncpg.Connection,
                                done: Sequence[tuple[Row, Done]]) -> None:
        await repository.mark_refunded(conn, [row["id"] for row, _ in done])

    return Effect(name="refund", table="refund", claim=repository.DUE_REFUNDS, attempt=refund,
                  given_up=refund_failed, settle=payments_refunded, due_status="requested",
                  done_status="completed", reference_column="gateway_refund_id", retry=retry,
                  batch_size=batch_size)


def undecided(answer: GatewayAnswer) -> Outcome:
    """What an answer other than ``succeeded`` means: pending at the bank is asked again
    (the same key answers the same payment); a decline or a refusal is final."""
    if answer.status == "pending":
        return Pending()
    if answer.status == "failed":
        return Failed("declined by the gateway", permanent=True)
    if answer.status == "refused":
        return Failed(f"refused by the gateway: {answer.detail}", permanent=True)
    return Failed(f"unknown gateway status {answer.status!r}")


def charge_failed(row: Row, reason: str, attempts: int) -> PaymentFailed:
    return PaymentFailed(dossier_code=row["dossier_code"], payment_id=row["id"],
                         amount=row["amount"], reason=reason, attempts=attempts)


def refund_failed(row: Row, reason: str, attempts: int) -> RefundFailed:
    return RefundFailed(dossier_code=row["dossier_code"], payment_id=row["payment_id"],
                        refund_id=row["id"], amount=row["amount"], reason=reason,
                        attempts=attempts)
