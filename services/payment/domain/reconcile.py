"""The daily reconciliation, no I/O: each transaction of the gateway's settlement file and of
our ledger (the orders that paid and the refunds that completed, that day in GMT+7) comes out
as one line of the report. Payments and refunds are compared apart, by the same rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from services.payment.domain.receipts import VIETNAM

Kind = Literal["matched", "missing_here", "missing_at_gateway", "amount_mismatch"]
Transaction = Literal["payment", "refund"]
MISMATCHES: tuple[Kind, ...] = ("missing_here", "missing_at_gateway", "amount_mismatch")
REPORT_COLUMNS = ("kind", "transaction", "txn_ref", "transaction_no", "dossier_code",
                  "our_amount", "gateway_amount", "settled_from_file")


@dataclass(frozen=True)
class Ours:
    """An order of ours that the gateway paid (or a refund of ours that it completed), as our
    ledger has it. A refund's ``txn_ref`` is its order's."""

    txn_ref: str
    dossier_code: str
    amount: Decimal
    transaction_no: str | None
    paid: bool = True  # False: the order (refund) is ours, but not (yet) as paid (completed)


@dataclass(frozen=True)
class Line:
    kind: Kind
    txn_ref: str
    transaction_no: str | None
    dossier_code: str | None
    our_amount: Decimal | None
    gateway_amount: Decimal | None
    settled_from_file: bool = False
    transaction: Transaction = "payment"

    def row(self) -> tuple[str, ...]:
        return (self.kind, self.transaction, self.txn_ref, self.transaction_no or "",
                self.dossier_code or "",
                _vnd(self.our_amount), _vnd(self.gateway_amount),
                "yes" if self.settled_from_file else "")


def _vnd(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:f}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The merchant's day, GMT+7, as an interval."""
    start = datetime.combine(day, time(), VIETNAM)
    return start, start + timedelta(days=1)


def compare(file: Iterable[tuple[str, str, Decimal]], paid_that_day: Iterable[Ours],
            known: Mapping[str, Ours], settled_from_file: frozenset[str] = frozenset(),
            transaction: Transaction = "payment") -> list[Line]:
    """``file`` is (txn_ref, transaction_no, amount) per line, ``paid_that_day`` our orders
    paid on the day, ``known`` our orders of the file's TxnRefs (any day, any state); or, for
    ``transaction="refund"``, the file's refunds, ours completed that day and ours of those
    TxnRefs. The file's order first, then what only we have."""
    lines: list[Line] = []
    for txn_ref, number, amount in file:
        mine = known.get(txn_ref)
        if mine is None:
            lines.append(Line("missing_here", txn_ref, number, None, None, amount,
                              transaction=transaction))
            continue
        kind: Kind = "amount_mismatch" if mine.amount != amount else \
            "matched" if mine.paid else "missing_here"
        lines.append(Line(kind, txn_ref, number, mine.dossier_code, mine.amount, amount,
                          txn_ref in settled_from_file, transaction))
    in_file = {line.txn_ref for line in lines}
    lines += [Line("missing_at_gateway", o.txn_ref, o.transaction_no, o.dossier_code,
                   o.amount, None, transaction=transaction)
              for o in paid_that_day if o.txn_ref not in in_file]
    return lines
