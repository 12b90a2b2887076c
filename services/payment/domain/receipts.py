"""The receipt (biên lai) of a paid fee, no I/O: its number and its lines.

A number is ``<agency>-<yyyy>-<NNNNNN>``: the receiving agency's code, the year the money was
taken (in GMT+7, the merchant's day), and a sequence that starts at 000001 for each agency and
year and has no gaps (it is taken in the transaction that records the payment)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

VIETNAM = timezone(timedelta(hours=7))
FEE_LINE = "Phí, lệ phí giải quyết thủ tục hành chính"
POSTAGE_LINE = "Cước phí chuyển phát kết quả"


def agency_of(agency_code: str | None, dossier_code: str) -> str:
    """The receiving agency; for a dossier received before payment kept it, the prefix of its
    code (``<agency>-<yymmdd>-<nnnn>``)."""
    return agency_code or dossier_code.split("-", 1)[0]


def year_of(paid_at: datetime) -> int:
    return paid_at.astimezone(VIETNAM).year


def receipt_number(agency_code: str, year: int, sequence: int) -> str:
    return f"{agency_code}-{year:04d}-{sequence:06d}"


def lines_of(amount: Decimal, postage: Decimal | None = None) -> list[dict[str, Any]]:
    """The fee, then the postage when the result is posted (collected with the fee)."""
    fee = amount - (postage or 0)
    lines: list[dict[str, Any]] = [{"kind": "fee", "label": FEE_LINE, "amount": fee}]
    if postage:
        lines.append({"kind": "postage", "label": POSTAGE_LINE, "amount": postage})
    return lines
