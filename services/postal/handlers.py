"""Postal's use cases: remember where results go, ship decided results, report delivery."""

from __future__ import annotations

import uuid

import asyncpg
import structlog

from services.postal.carrier import Carrier
from shared.contracts.events import (
    DossierDecided,
    DossierSubmitted,
    Envelope,
    Event,
    ShipmentCreated,
    ShipmentDelivered,
)
from shared.contracts.topics import POSTAL_EVENTS
from shared.runtime.outbox import UnitOfWork
from shared.runtime.worker import retry_later

log = structlog.get_logger(__name__)


async def on_dossier_submitted(event: DossierSubmitted, envelope: Envelope,
                               uow: UnitOfWork) -> None:
    if event.return_method != "postal" or not event.postal_address:
        return
    await uow.conn.execute(
        """INSERT INTO recipient (dossier_id, dossier_code, full_name, phone, address)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dossier_id) DO NOTHING""",
        envelope.dossier_id, event.dossier_code, event.applicant.full_name,
        event.applicant.phone, event.postal_address,
    )


async def on_dossier_decided(event: DossierDecided, envelope: Envelope, uow: UnitOfWork) -> None:
    if event.return_method != "postal":
        return
    inserted = await uow.conn.fetchval(
        """INSERT INTO shipment (id, dossier_id, dossier_code, causation_event_id, correlation_id)
           SELECT $1, dossier_id, dossier_code, $3, $4 FROM recipient WHERE dossier_id = $2
           ON CONFLICT (dossier_id) DO NOTHING RETURNING true""",
        uuid.uuid5(envelope.dossier_id, "result-shipment"), envelope.dossier_id,
        envelope.event_id, envelope.correlation_id,
    )
    if inserted is None and not await uow.conn.fetchval(
        "SELECT true FROM recipient WHERE dossier_id = $1", envelope.dossier_id
    ):
        raise LookupError(f"no postal recipient known for {event.dossier_code}")


async def ship_pending_results(pool: asyncpg.Pool, carrier: Carrier, carrier_name: str, *,
                               batch_size: int, max_attempts: int) -> int:
    async with UnitOfWork(pool, producer="postal") as uow:
        rows = await uow.conn.fetch(
            """SELECT s.id, s.dossier_id, s.dossier_code, s.attempts, s.causation_event_id,
                      s.correlation_id, r.full_name, r.phone, r.address
               FROM shipment s JOIN recipient r USING (dossier_id)
               WHERE s.status = 'pending' AND s.next_attempt_at <= now()
               ORDER BY s.next_attempt_at LIMIT $1 FOR UPDATE OF s SKIP LOCKED""",
            batch_size,
        )
        for row in rows:
            await _ship(uow, carrier, carrier_name, row, max_attempts)
        await uow.commit()
    return len(rows)


async def _ship(uow: UnitOfWork, carrier: Carrier, carrier_name: str, row: asyncpg.Record,
                max_attempts: int) -> None:
    try:
        shipped = await carrier.ship(row["id"], reference=row["dossier_code"],
                                     name=row["full_name"], phone=row["phone"],
                                     address=row["address"])
    except Exception as error:
        attempts = row["attempts"] + 1
        await retry_later(uow.conn, "shipment", row["id"], attempts=attempts, error=error,
                          max_attempts=max_attempts)
        log.warning("carrier call failed", dossier_code=row["dossier_code"], error=repr(error))
        return
    status = "delivered" if shipped.status == "delivered" else "created"
    await uow.conn.execute(
        "UPDATE shipment SET status = $2, tracking_code = $3, updated_at = now() WHERE id = $1",
        row["id"], status, shipped.tracking_code,
    )
    events: list[Event] = [ShipmentCreated(dossier_code=row["dossier_code"], shipment_id=row["id"],
                                           carrier=carrier_name,
                                           tracking_code=shipped.tracking_code)]
    if status == "delivered" and shipped.delivered_at is not None:
        events.append(ShipmentDelivered(dossier_code=row["dossier_code"], shipment_id=row["id"],
                                        tracking_code=shipped.tracking_code,
                                        delivered_at=shipped.delivered_at))
    for event in events:
        await uow.record(POSTAL_EVENTS, Envelope.wrap(
            event, dossier_id=row["dossier_id"], producer="postal",
            dossier_code=row["dossier_code"], correlation_id=row["correlation_id"],
            causation_id=row["causation_event_id"],
        ))
