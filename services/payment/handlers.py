"""Payment's use cases: request the fee of an accepted dossier, then collect it."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from services.payment.gateway import PaymentGateway
from shared.contracts.events import DossierAccepted, Envelope, PaymentCompleted, PaymentRequested
from shared.contracts.topics import PAYMENT_EVENTS
from shared.runtime.outbox import UnitOfWork
from shared.runtime.worker import retry_later

log = structlog.get_logger(__name__)


async def on_dossier_accepted(event: DossierAccepted, envelope: Envelope, uow: UnitOfWork) -> None:
    if event.fee <= 0:
        return
    payment_id = uuid.uuid5(envelope.dossier_id, "fee")  # one fee per dossier, stable
    inserted = await uow.conn.fetchval(
        """INSERT INTO payment (id, dossier_id, dossier_code, amount, causation_event_id,
                                correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dossier_id) DO NOTHING RETURNING true""",
        payment_id, envelope.dossier_id, event.dossier_code, event.fee, envelope.event_id,
        envelope.correlation_id,
    )
    if inserted:
        requested = PaymentRequested(
            dossier_code=event.dossier_code, payment_id=payment_id, amount=event.fee
        )
        await uow.record(
            PAYMENT_EVENTS,
            Envelope.wrap(requested, dossier_id=envelope.dossier_id, producer="payment",
                          caused_by=envelope),
        )


async def collect_due_payments(
    pool: asyncpg.Pool, gateway: PaymentGateway, *, batch_size: int, max_attempts: int
) -> int:
    """Charge the requested payments that are due; return how many were tried."""
    async with UnitOfWork(pool, producer="payment") as uow:
        rows = await uow.conn.fetch(
            """SELECT id, dossier_id, dossier_code, amount, attempts, causation_event_id,
                      correlation_id FROM payment
               WHERE status = 'requested' AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED""",
            batch_size,
        )
        for row in rows:
            await _collect(uow, gateway, row, max_attempts)
        await uow.commit()
    return len(rows)


async def _collect(uow: UnitOfWork, gateway: PaymentGateway, row: asyncpg.Record,
                   max_attempts: int) -> None:
    try:
        result = await gateway.charge(row["id"], row["amount"], row["dossier_code"])
    except Exception as error:
        attempts = row["attempts"] + 1
        await retry_later(uow.conn, "payment", row["id"], attempts=attempts, error=error,
                          max_attempts=max_attempts)
        log.warning("payment gateway call failed", dossier_code=row["dossier_code"],
                    attempts=attempts, error=repr(error))
        return
    if result.status != "succeeded":
        return  # pending at the bank: the gateway's webhook will settle it
    await uow.conn.execute(
        """UPDATE payment SET status = 'completed', gateway_transaction_id = $2,
                  updated_at = now() WHERE id = $1""",
        row["id"], result.transaction_id,
    )
    completed = PaymentCompleted(
        dossier_code=row["dossier_code"], payment_id=row["id"], amount=row["amount"],
        gateway_transaction_id=result.transaction_id,
    )
    envelope = Envelope.wrap(
        completed, dossier_id=row["dossier_id"], producer="payment",
        dossier_code=row["dossier_code"], correlation_id=row["correlation_id"],
        causation_id=row["causation_event_id"],
    )
    await uow.record(PAYMENT_EVENTS, envelope)
