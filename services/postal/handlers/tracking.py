"""A parcel's tracking: the carrier's webhook, the poll, and what a confirmed update does.

The carrier (GHN) does not sign its webhook, so nothing in one is believed: the URL holds a
secret token per carrier (a wrong one is a 404, as for any unknown path), and the update
counts only when the carrier's detail endpoint, asked by us, has it too. A webhook the
detail does not confirm is answered 409: the carrier retries it (ten times, 5 s apart), and
one that was merely early is then confirmed. A shipment nobody heard of for
``poll_after`` is asked about at the detail endpoint (:func:`poll_once`), and whatever
updates the detail lists are recorded the same way; so a lost webhook costs a delay only.

Each confirmed update is kept once (``shipment_update``: a duplicate changes nothing) and
moves the shipment only when it is newer than its state (``domain.tracking.moves``). Each
move is a ``ShipmentStatusChanged``; ``lost`` and ``damage`` add a
``ShipmentIncidentReported`` and ship the result again under a new client order code.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import structlog

from services.postal import repository
from services.postal.adapters.carrier import CarrierUnavailable, Detail
from services.postal.deps import PostalDeps
from services.postal.domain import client_order_code, shipment_id_of
from services.postal.domain.tracking import INCIDENTS, LABELS_VI, Update, in_order, moves
from shared.contracts.events import ShipmentIncidentReported, ShipmentStatusChanged
from shared.runtime.outbox import UnitOfWork

log = structlog.get_logger(__name__)


class UnknownWebhook(Exception):
    """A carrier or token postal does not know: answered 404, like any unknown path."""


class BadWebhook(ValueError):
    """Not an update of this carrier's protocol (400)."""


class NotConfirmed(Exception):
    """The carrier's detail does not have the update (409: the carrier retries it)."""


class CarrierDown(Exception):
    """The detail endpoint did not answer (503: the carrier retries the webhook)."""


def check_token(carrier: str, token: str, deps: PostalDeps) -> None:
    expected = deps.webhook_tokens.get(carrier.lower())
    if expected is None or not hmac.compare_digest(expected.encode(), token.encode()):
        raise UnknownWebhook("Not Found")


async def receive_webhook(carrier: str, token: str, body: Any, headers: dict[str, str],
                          deps: PostalDeps) -> dict[str, object]:
    check_token(carrier, token, deps)
    assert deps.carrier is not None
    try:
        told = deps.carrier.webhook_update(body, headers)
    except ValueError as error:
        raise BadWebhook(str(error)) from error
    try:
        detail = await deps.carrier.detail(told.tracking_code)
    except (CarrierUnavailable, httpx.HTTPError) as error:
        raise CarrierDown(f"the carrier's detail did not answer: {type(error).__name__}") \
            from error
    confirmed = detail.confirms(told.update) if detail is not None else None
    if detail is None or confirmed is None or (
            told.client_order_code and detail.client_order_code != told.client_order_code):
        log.warning("webhook not confirmed by the carrier's detail", carrier=carrier,
                    tracking_code=told.tracking_code, status=told.update.status)
        raise NotConfirmed("the carrier's detail does not confirm this update")
    async with deps.transactions() as uow:
        shipment = await repository.by_tracking_code(uow.conn, told.tracking_code)
        if shipment is None:
            raise NotConfirmed("no shipment of ours has this tracking code")
        moved = await record_updates(uow, shipment, [confirmed], deps.now())
        await uow.commit()
    return {"tracking_code": told.tracking_code, "moved": moved}


async def record_updates(uow: UnitOfWork, shipment: asyncpg.Record, updates: list[Update],
                         now: datetime) -> int:
    """Record confirmed ``updates`` of the locked ``shipment``, in their own order; return
    how many moved it."""
    status, at, moved = shipment["carrier_status"], shipment["carrier_status_at"], 0
    for update in in_order(updates):
        applies = moves(status, at, update)
        if not await repository.record_update(uow.conn, shipment["id"], update, applies):
            continue  # told before
        await repository.heard(uow.conn, shipment["id"], now)
        if not applies:
            log.info("late carrier update kept, not applied", shipment_id=str(shipment["id"]),
                     status=update.status, current=status)
            continue
        await repository.move(uow.conn, shipment["id"], update)
        await _emit_move(uow, shipment, status, update)
        status, at, moved = update.status, update.at, moved + 1
    return moved


async def _emit_move(uow: UnitOfWork, shipment: asyncpg.Record, before: str | None,
                     update: Update) -> None:
    ids = {"dossier_id": shipment["dossier_id"], "dossier_code": shipment["dossier_code"],
           "correlation_id": shipment["correlation_id"]}
    uow.emit(ShipmentStatusChanged(
        dossier_code=shipment["dossier_code"], shipment_id=shipment["id"],
        carrier=shipment["carrier"] or "", tracking_code=shipment["tracking_code"],
        status=update.status, previous_status=before, changed_at=update.at,
        reason=update.reason, attempt=shipment["attempt"],
        status_label_vi=LABELS_VI.get(update.status),
        recipient_name=update.recipient_name if update.status == "delivered" else None), **ids)
    if update.status not in INCIDENTS:
        return
    again = shipment["attempt"] + 1
    envelope = uow.emit(ShipmentIncidentReported(
        dossier_code=shipment["dossier_code"], department_code=shipment["department_code"],
        shipment_id=shipment["id"], tracking_code=shipment["tracking_code"],
        status=update.status, attempt=shipment["attempt"], reshipped_as=again), **ids)
    await repository.queue_shipment(uow.conn, shipment_id_of(shipment["dossier_id"], again),
                                    again, client_order_code(shipment["dossier_code"], again),
                                    envelope)


async def poll_once(deps: PostalDeps, *, batch_size: int = 20) -> int:
    """Ask the carrier about shipments not heard of for ``poll_after``; return how many."""
    assert deps.carrier is not None
    now = deps.now()
    async with deps.transactions() as uow:
        rows = await repository.stale(uow.conn, now - deps.poll_after, batch_size)
        for row in rows:
            await repository.polled(uow.conn, row["id"], now)
            try:
                detail: Detail | None = await deps.carrier.detail(row["tracking_code"])
            except Exception as error:  # the next poll asks again
                log.warning("poll: the carrier's detail did not answer",
                            shipment_id=str(row["id"]), error=type(error).__name__)
                continue
            if detail is not None:
                await record_updates(uow, row, list(detail.updates), now)
        await uow.commit()
    return len(rows)
