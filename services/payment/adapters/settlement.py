"""The gateway's daily settlement file (docs/payment.md, "Daily reconciliation"): fetched
from the sandbox (``GET …/_sandbox/vnpay/settlement?date=``) or read from a file downloaded
from VNPay's merchant portal, parsed into its successful transactions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import httpx

from services.payment.adapters import vnpay

SETTLEMENT_PATH = "_sandbox/vnpay/settlement"
COLUMNS = ("transaction_no", "txn_ref", "amount", "bank_code", "status", "pay_date",
           "transaction_type")
"""The export's columns. An older export without ``transaction_type`` holds payments only."""
PAYMENTS_ONLY = COLUMNS[:-1]
PAYMENT, REFUNDS = "01", ("02", "03")  # vnp_TransactionType


class SettlementFileError(Exception):
    """The file is not in the expected shape: nothing is reconciled from it."""


@dataclass(frozen=True)
class Settled:
    """One line of the file: a payment the gateway settled, or a refund it completed (its
    ``txn_ref`` is the refunded order's, ``paid_at`` when the money went back)."""

    transaction_no: str
    txn_ref: str
    amount: Decimal  # VND
    bank_code: str
    status: str
    paid_at: datetime
    transaction_type: str = PAYMENT

    @property
    def is_refund(self) -> bool:
        return self.transaction_type in REFUNDS


async def fetch(client: httpx.AsyncClient, day: date) -> list[Settled]:
    response = await client.get(SETTLEMENT_PATH, params={"date": day.isoformat()})
    response.raise_for_status()
    return parse(response.text)


def read(path: Path) -> list[Settled]:
    return parse(path.read_text(encoding="utf-8-sig"))


def parse(text: str) -> list[Settled]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) not in (COLUMNS, PAYMENTS_ONLY):
        raise SettlementFileError(f"unexpected columns {reader.fieldnames}, want {COLUMNS}")
    lines = []
    for row in reader:
        kind = row.get("transaction_type") or PAYMENT
        if kind != PAYMENT and kind not in REFUNDS:
            raise SettlementFileError(f"line {reader.line_num}: transaction_type {kind!r} is "
                                      f"none of {PAYMENT}, {', '.join(REFUNDS)}")
        try:
            lines.append(Settled(row["transaction_no"], row["txn_ref"], Decimal(row["amount"]),
                                 row["bank_code"], row["status"],
                                 vnpay.parse_vnp_date(row["pay_date"]), kind))
        except (ArithmeticError, ValueError, TypeError) as error:
            raise SettlementFileError(f"line {reader.line_num}: {error}") from error
    return lines
