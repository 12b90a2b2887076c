"""The citizen's attempts to pay a fee, no I/O. Each attempt is an order with its own
``vnp_TxnRef`` and an explicit state::

    created ──▶ pending ──▶ succeeded | failed | cancelled | expired   (the last four: finished)

Only the gateway's word (an IPN, or a querydr answer) settles an order; our clock only
expires an order the gateway never heard of, and a new attempt cancels the older ones. What
that word does to the fee is :func:`settle`: the fee is paid at most once, and money taken for
an order we no longer needed (expired, superseded, or the dossier ended) is accepted while the
dossier still waits for its fee, and refunded at once otherwise — never lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from services.payment.domain.codes import meaning
from shared.contracts.events import Event, PaymentCompleted, PaymentFailed

OrderState = Literal["created", "pending", "succeeded", "failed", "cancelled", "expired"]
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "expired"})
Outcome = Literal["succeeded", "pending", "failed"]
DUPLICATE = "duplicate"  # the refund cause of money taken for a fee that was paid already


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway says about one order (an IPN's parameters, or a querydr answer)."""

    txn_ref: str
    amount: Decimal
    response_code: str
    transaction_status: str
    transaction_no: str | None = None
    bank_code: str | None = None
    paid_at: datetime | None = None

    @property
    def outcome(self) -> Outcome:
        """A success only when both codes say 00. Pending at the bank (01) and money held as
        suspicious (07) are not decided yet; anything else is a final decline."""
        if self.response_code == "00" and self.transaction_status == "00":
            return "succeeded"
        if self.transaction_status in ("01", "07") or self.response_code == "07":
            return "pending"
        return "failed"


@dataclass(frozen=True)
class Fee:
    id: uuid.UUID
    dossier_code: str
    amount: Decimal
    status: str  # requested (waiting for the citizen), completed, cancelled, refunded
    ended_because: str | None
    orders_made: int


@dataclass(frozen=True)
class Order:
    id: uuid.UUID
    txn_ref: str
    amount: Decimal
    state: str
    settled: bool  # the gateway's word about it is recorded already


@dataclass(frozen=True)
class Settlement:
    """What one word of the gateway does: the order's new state, whether that word is final,
    whether it pays the fee, whether the money goes back at once (and why), and the events."""

    state: str
    final: bool
    pays_fee: bool = False
    refund_cause: str | None = None
    events: tuple[Event, ...] = ()


def settle(fee: Fee, order: Order, result: GatewayResult) -> Settlement:
    if result.outcome == "pending":
        return Settlement("pending" if order.state not in FINISHED else order.state, False)
    if result.outcome == "succeeded":
        if fee.status == "requested":  # the dossier still waits for it: late or not, it pays
            return Settlement("succeeded", True, pays_fee=True, events=(PaymentCompleted(
                dossier_code=fee.dossier_code, payment_id=fee.id, amount=result.amount,
                gateway_transaction_id=result.transaction_no or result.txn_ref),))
        return Settlement("succeeded", True, refund_cause=fee.ended_because or DUPLICATE)
    superseded = order.state == "cancelled"  # a newer attempt is the one that counts
    if fee.status != "requested" or superseded:
        return Settlement("failed", True)
    return Settlement("failed", True, events=(PaymentFailed(
        dossier_code=fee.dossier_code, payment_id=fee.id, amount=fee.amount,
        reason=f"declined by the gateway: {result.response_code} "
               f"({meaning(result.response_code)})",
        attempts=max(1, fee.orders_made)),))


def txn_ref_of(order_id: uuid.UUID) -> str:
    """The order's ``vnp_TxnRef``: unique for good, not only within the day."""
    return order_id.hex.upper()
