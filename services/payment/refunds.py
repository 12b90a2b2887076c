"""Send the requested refunds to the gateway, drained like charges: rows claimed with
``FOR UPDATE SKIP LOCKED``, failures backed off with ``retry_later``."""

from __future__ import annotations

import asyncpg
import httpx
import structlog

from services.payment.gateway import PaymentGateway
from shared.contracts.events import Envelope, PaymentRefunded
from shared.contracts.topics import PAYMENT_EVENTS
from shared.runtime.outbox import UnitOfWork
from shared.runtime.worker import retry_later

log = structlog.get_logger(__name__)


async def collect_due_refunds(
    pool: asyncpg.Pool, gateway: PaymentGateway, *, batch_size: int, max_attempts: int
) -> int:
    """Refund the requested refunds that are due; return how many were tried."""
    async with UnitOfWork(pool, producer="payment") as uow:
        rows = await uow.conn.fetch(
            """SELECT r.id, r.payment_id, r.dossier_id, r.dossier_code, r.amount, r.cause,
                      r.attempts, r.causation_event_id, r.correlation_id,
                      p.gateway_transaction_id
               FROM refund r JOIN payment p ON p.id = r.payment_id
               WHERE r.status = 'requested' AND r.next_attempt_at <= now()
               ORDER BY r.next_attempt_at LIMIT $1 FOR UPDATE OF r SKIP LOCKED""",
            batch_size,
        )
        for row in rows:
            await _refund(uow, gateway, row, max_attempts)
        await uow.commit()
    return len(rows)


async def _refund(uow: UnitOfWork, gateway: PaymentGateway, row: asyncpg.Record,
                  max_attempts: int) -> None:
    try:
        result = await gateway.refund(row["id"], row["gateway_transaction_id"], row["amount"],
                                      row["dossier_code"])
    except Exception as error:
        attempts = row["attempts"] + 1
        if isinstance(error, httpx.HTTPStatusError) and error.response.is_client_error:
            attempts = max_attempts  # the gateway refused this refund: retrying cannot help
        await retry_later(uow.conn, "refund", row["id"], attempts=attempts, error=error,
                          max_attempts=max_attempts)
        log.warning("refund gateway call failed", dossier_code=row["dossier_code"],
                    attempts=attempts, error=repr(error))
        return
    if result.status != "succeeded":
        # Pending at the bank: ask again later; the same key gets the same refund.
        await uow.conn.execute(
            "UPDATE refund SET next_attempt_at = now() + interval '1 minute' WHERE id = $1",
            row["id"])
        return
    await uow.conn.execute(
        """UPDATE refund SET status = 'completed', gateway_refund_id = $2, updated_at = now()
           WHERE id = $1""",
        row["id"], result.transaction_id,
    )
    await uow.conn.execute(
        """UPDATE payment SET status = 'refunded', ended_because = $2, updated_at = now()
           WHERE id = $1""",
        row["payment_id"], row["cause"],
    )
    refunded = PaymentRefunded(
        dossier_code=row["dossier_code"], payment_id=row["payment_id"], refund_id=row["id"],
        amount=row["amount"], gateway_refund_id=result.transaction_id, cause=row["cause"],
    )
    await uow.record(PAYMENT_EVENTS, Envelope.wrap(
        refunded, dossier_id=row["dossier_id"], producer="payment",
        dossier_code=row["dossier_code"], correlation_id=row["correlation_id"],
        causation_id=row["causation_event_id"]))
