"""Postal's side effect: hand each decided result to the carrier (idempotent by the shipment
id), ending in ShipmentCreated (and ShipmentDelivered) or ShipmentFailed."""

from __future__ import annotations

import asyncpg

from services.postal import repository
from services.postal.adapters.carrier import Carrier, CarrierAnswer
from shared.contracts.events import Event, ShipmentCreated, ShipmentDelivered, ShipmentFailed
from shared.runtime.effects import Done, Effect, Failed, Outcome, Pending, Retry

Row = asyncpg.Record


def shipments(carrier: Carrier, carrier_name: str, retry: Retry, *,
              batch_size: int = 20) -> Effect:
    async def ship(row: Row) -> Outcome:
        answer = await carrier.ship(row["id"], reference=row["dossier_code"],
                                    name=row["full_name"], phone=row["phone"],
                                    address=row["address"])
        return outcome(row, answer, carrier_name)

    return Effect(name="shipment", table="shipment", claim=repository.DUE_SHIPMENTS,
                  attempt=ship, given_up=shipment_failed, due_status="pending",
                  done_status="created", reference_column="tracking_code", retry=retry,
                  batch_size=batch_size)


def outcome(row: Row, answer: CarrierAnswer, carrier_name: str) -> Outcome:
    """The carrier's answer as the loop's outcome: created or delivered is done; pending is
    asked again; a failure is final unless the carrier says it may be retried."""
    if answer.status == "pending":
        return Pending()
    if answer.status == "failed":
        return Failed(f"the carrier refused: {answer.reason or 'no reason given'}",
                      permanent=not answer.retryable)
    if answer.status == "refused":
        return Failed(f"the carrier refused the request: {answer.reason}", permanent=True)
    if answer.status not in ("created", "delivered") or answer.tracking_code is None:
        return Failed(f"unknown carrier answer {answer.status!r}")
    events: list[Event] = [ShipmentCreated(dossier_code=row["dossier_code"],
                                           shipment_id=row["id"], carrier=carrier_name,
                                           tracking_code=answer.tracking_code)]
    if answer.status == "delivered" and answer.delivered_at is not None:
        events.append(ShipmentDelivered(dossier_code=row["dossier_code"], shipment_id=row["id"],
                                        tracking_code=answer.tracking_code,
                                        delivered_at=answer.delivered_at))
    return Done(events, status=answer.status, reference=answer.tracking_code)


def shipment_failed(row: Row, reason: str, attempts: int) -> ShipmentFailed:
    return ShipmentFailed(dossier_code=row["dossier_code"], shipment_id=row["id"],
                          reason=reason, attempts=attempts)
