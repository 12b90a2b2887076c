"""Postal's side effects, run by the shared loop: hand each shipment to the carrier (once per
client order code), and ask the carrier to deliver a parcel again or bring it back.

A shipment ends ``created`` (the carrier has the order, ``ShipmentCreated``; from then on
its ``carrier_status`` follows the tracking) or ``failed`` (``ShipmentFailed``: refused, an
address the carrier cannot serve, or every attempt used up). A refusal is never stored as
created: the carrier's states are not the hand-over's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg

from services.postal import repository
from services.postal.adapters.carrier import Carrier, Parcel, Refused
from services.postal.domain import address_of
from shared.contracts.events import PostageQuoted, PostalAddress, ShipmentCreated, ShipmentFailed
from shared.runtime.effects import Done, Effect, Failed, Outcome, Retry

Row = asyncpg.Record


def parcel_of(row: Row) -> Parcel | None:
    stored = row["postal_address"]
    address = address_of(PostalAddress.model_validate(json.loads(stored))) if stored else None
    if address is None:
        return None
    return Parcel(client_order_code=row["client_order_code"], to_name=address.recipient_name,
                  to_phone=address.phone, to_address=address.street,
                  to_ward_name=address.ward, to_district_name=address.district,
                  to_province_name=address.province, to_ward_code=address.ward_code,
                  to_district_code=address.district_code)


def shipments(carrier: Carrier, retry: Retry, *, batch_size: int = 20) -> Effect:
    async def ship(row: Row) -> Outcome:
        parcel = parcel_of(row)
        if parcel is None:
            return Failed("a one-line address: the carrier needs ward and province apart",
                          permanent=True)
        answer = await carrier.create(parcel)
        if isinstance(answer, Refused):
            return Failed(f"the carrier refused: {answer.reason}", permanent=not answer.retryable)
        return Done([ShipmentCreated(dossier_code=row["dossier_code"], shipment_id=row["id"],
                                     carrier=carrier.name, tracking_code=answer.tracking_code,
                                     postage=answer.fee, attempt=row["attempt"])],
                    reference=answer.tracking_code)

    async def settle(conn: asyncpg.Connection, done: Sequence[tuple[Row, Done]]) -> None:
        for row, outcome in done:
            event = outcome.events[0]
            assert isinstance(event, ShipmentCreated)
            await repository.created(conn, row["id"], carrier.name, event.postage,
                                     datetime.now(UTC))

    return Effect(name="shipment", table="shipment", claim=repository.DUE_SHIPMENTS,
                  attempt=ship, given_up=shipment_failed, settle=settle, due_status="pending",
                  done_status="created", reference_column="tracking_code", retry=retry,
                  batch_size=batch_size)


def shipment_failed(row: Row, reason: str, attempts: int) -> ShipmentFailed:
    return ShipmentFailed(dossier_code=row["dossier_code"], shipment_id=row["id"],
                          reason=reason, attempts=attempts)


def requests(carrier: Carrier, retry: Retry, *, batch_size: int = 20) -> Effect:
    """``redeliver`` (GHN switch-status/storing) or ``return`` (switch-status/return). The
    carrier's next states tell the rest, by webhook or poll."""

    async def ask(row: Row) -> Outcome:
        ask_carrier = carrier.redeliver if row["kind"] == "redeliver" else \
            carrier.return_to_sender
        refused = await ask_carrier(row["tracking_code"])
        if refused is not None:
            return Failed(f"the carrier refused to {row['kind']}: {refused.reason}",
                          permanent=not refused.retryable)
        return Done()

    def given_up(row: Row, reason: str, attempts: int) -> ShipmentFailed:
        return ShipmentFailed(dossier_code=row["dossier_code"], shipment_id=row["shipment_id"],
                              reason=reason, attempts=attempts)

    return Effect(name="carrier_request", table="carrier_request",
                  claim=repository.DUE_REQUESTS, attempt=ask, given_up=given_up,
                  done_status="done", retry=retry, batch_size=batch_size)


QUOTE_RETRY = Retry(max_attempts=2, backoff_s=2.0, backoff_cap_s=5.0)
"""The postage is wanted at submission: the carrier gets two tries, then the catalog's
figure is the quote."""


def quotes(carrier: Carrier, retry: Retry = QUOTE_RETRY, *, batch_size: int = 20) -> Effect:
    """The carrier's fee preview for the result's parcel (creates nothing at the carrier):
    ``PostageQuoted`` from the carrier, or, given up, from the catalog."""

    async def preview(row: Row) -> Outcome:
        parcel = parcel_of(row)
        if parcel is None:
            return Failed("a one-line address: no carrier preview", permanent=True)
        amount = await carrier.preview(parcel)
        return Done([PostageQuoted(dossier_code=row["dossier_code"], amount=amount,
                                   source="carrier")])

    async def settle(conn: asyncpg.Connection, done: Sequence[tuple[Row, Done]]) -> None:
        for row, outcome in done:
            event = outcome.events[0]
            assert isinstance(event, PostageQuoted)
            await repository.quoted(conn, row["dossier_id"], event.amount)

    def from_catalog(row: Row, reason: str, attempts: int) -> PostageQuoted:
        return PostageQuoted(dossier_code=row["dossier_code"], amount=row["catalog_amount"],
                             source="catalog")

    return Effect(name="postage_quote", table="postage_quote", claim=repository.DUE_QUOTES,
                  attempt=preview, given_up=from_catalog, settle=settle, done_status="quoted",
                  retry=retry, batch_size=batch_size)
