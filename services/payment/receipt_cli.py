"""``python -m services.payment cancel-receipt NUMBER --by NAME --reason TEXT``: cancel a
receipt (biên lai) issued in error, typically after the reconciliation found the payment
``missing_at_gateway`` and querydr confirmed the gateway never took the money. The number
stays used; ``ReceiptCancelled`` tells the department. Exit 0 when cancelled (or already),
2 when no receipt has that number."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from services.payment.handlers.receipt import ReceiptNotFound, cancel_receipt
from services.payment.settings import PaymentSettings
from shared.runtime.db import create_pool
from shared.runtime.logging import configure_logging
from shared.runtime.outbox import Transactions


async def run(number: str, by: str, reason: str, settings: PaymentSettings,
              out: TextIO) -> int:
    pool = await create_pool(settings.service_database_url, **settings.pool_options)
    try:
        done = await cancel_receipt(number, by=by, reason=reason, at=datetime.now(UTC),
                                    transactions=Transactions(pool, "payment"))
    except ReceiptNotFound:
        out.write(f"no receipt numbered {number}\n")
        return 2
    finally:
        await pool.close()
    out.write(f"receipt {number}: {done}\n")
    return 0


def main(argv: Sequence[str], out: TextIO) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.payment cancel-receipt")
    parser.add_argument("number", help="the receipt's number, <agency>-<yyyy>-<NNNNNN>")
    parser.add_argument("--by", required=True, help="who cancels (the payment staff)")
    parser.add_argument("--reason", required=True, help="why, as the department will read it")
    args = parser.parse_args(argv)
    if not args.reason.strip() or not args.by.strip():
        parser.error("--by and --reason must not be blank")
    settings = PaymentSettings()
    configure_logging("payment", fmt=settings.log_format, level=settings.log_level)
    return asyncio.run(run(args.number, args.by, args.reason, settings, out))
