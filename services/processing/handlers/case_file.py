"""The console's read model, kept from the events processing consumes: who applied and who
submitted, the documents, and the states payment, postal and notification report. Each runs
in the consumer's unit of work, beside the case's own use case where the event has one, so
the inbox that makes a redelivery change nothing covers it too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.processing.adapters.documents import DocumentUnavailable
from services.processing.deps import Deps
from services.processing.domain.case import Case
from services.processing.handlers.reads import own_case
from services.processing.officers import Officer
from services.processing.repository import case_file, cases
from shared.contracts.events import (
    DossierSubmitted,
    Envelope,
    Event,
    NotificationFailed,
    NotificationSent,
    NotificationStatusChanged,
    PaymentCancelled,
    PaymentCompleted,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    ShipmentCreated,
    ShipmentDelivered,
    ShipmentFailed,
    ShipmentStatusChanged,
    SupplementProvided,
)
from shared.runtime.outbox import UnitOfWork


async def record_submission(deps: Any, event: DossierSubmitted, envelope: Envelope,
                            uow: UnitOfWork) -> None:
    submitted_by = event.submitted_by.model_dump(mode="json") if event.submitted_by else None
    address = event.postal_address
    if address is not None and not isinstance(address, str):  # structured since issue 12
        address = f"{address.recipient_name}, {address.phone} — {address.one_line()}"
    await case_file.record_file(uow.conn, envelope.dossier_id,
                                event.applicant.model_dump(mode="json"), submitted_by,
                                address, event.channel)
    await case_file.record_documents(uow.conn, envelope.dossier_id, event.documents,
                                     "submission", event.received_at)


async def record_supplement(deps: Any, event: SupplementProvided, envelope: Envelope,
                            uow: UnitOfWork) -> None:
    await case_file.record_documents(uow.conn, envelope.dossier_id, event.documents,
                                     "supplement", event.provided_at)


def _message(event: Any) -> str:
    return f"{event.channel}:{event.template}"


# Each reported event: (kind, subject, status, extra detail) read from it; its time is its
# own where it carries one (a carrier's or a provider's), else when it was published.
Report = Callable[[Any], tuple[str, str, str, dict[str, Any]]]
REPORTS: dict[type[Event], Report] = {
    PaymentRequested: lambda e: ("payment", str(e.payment_id), "requested",
                                 {"amount": str(e.amount)}),
    PaymentCompleted: lambda e: ("payment", str(e.payment_id), "completed",
                                 {"amount": str(e.amount),
                                  "gateway_transaction_id": e.gateway_transaction_id}),
    PaymentFailed: lambda e: ("payment", str(e.payment_id), "failed",
                              {"amount": str(e.amount), "reason": e.reason}),
    PaymentCancelled: lambda e: ("payment", str(e.payment_id), "cancelled",
                                 {"amount": str(e.amount), "cause": e.cause}),
    PaymentRefunded: lambda e: ("payment", str(e.payment_id), "refunded",
                                {"amount": str(e.amount), "cause": e.cause}),
    ShipmentCreated: lambda e: ("shipment", str(e.shipment_id), "created",
                                {"carrier": e.carrier, "tracking_code": e.tracking_code}),
    ShipmentStatusChanged: lambda e: ("shipment", str(e.shipment_id), e.status,
                                      {"carrier": e.carrier, "tracking_code": e.tracking_code,
                                       "reason": e.reason, "recipient_name": e.recipient_name}),
    ShipmentDelivered: lambda e: ("shipment", str(e.shipment_id), "delivered",
                                  {"tracking_code": e.tracking_code}),
    ShipmentFailed: lambda e: ("shipment", str(e.shipment_id), "failed", {"reason": e.reason}),
    NotificationSent: lambda e: ("message", _message(e), "sent",
                                 {"channel": e.channel, "template": e.template,
                                  "recipient": e.recipient}),
    NotificationFailed: lambda e: ("message", _message(e), "failed",
                                   {"channel": e.channel, "template": e.template,
                                    "reason": e.reason}),
    NotificationStatusChanged: lambda e: ("message", _message(e), e.status,
                                          {"channel": e.channel, "template": e.template,
                                           "reason": e.reason,
                                           "message_id": str(e.message_id)}),
}
_OWN_TIME = ("changed_at", "delivered_at")


async def record_report(deps: Any, event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    kind, subject, status, detail = REPORTS[type(event)](event)
    at = next((getattr(event, name) for name in _OWN_TIME if hasattr(event, name)),
              envelope.occurred_at)
    await case_file.record_activity(uow.conn, envelope.event_id, envelope.dossier_id, kind,
                                    subject, status, at, detail)


@dataclass(frozen=True)
class CaseFile:
    """A dossier as the console shows it: the case, its audit trail, the read model."""

    case: Case
    audit: list[asyncpg.Record]
    file: asyncpg.Record | None
    documents: list[asyncpg.Record]
    activity: list[asyncpg.Record]
    has_result_document: bool


async def read_case_file(deps: Deps, code: str, officer: Officer) -> CaseFile:
    """Raises CaseNotFound for another department's dossier, as every read does."""
    async with deps.pool.acquire() as conn:
        case = await own_case(conn, code, officer)
        return CaseFile(case=case, audit=await cases.audit_trail(conn, case.id),
                        file=await case_file.file_of(conn, case.id),
                        documents=await case_file.documents_of(conn, case.id),
                        activity=await case_file.activity_of(conn, case.id),
                        has_result_document=await cases.has_result_document(conn, case.id))


async def read_document(deps: Deps, code: str, sha256: str, officer: Officer
                        ) -> tuple[asyncpg.Record, bytes]:
    """A citizen's document of the officer's own dossier: its reference and its bytes.
    Raises CaseNotFound, or DocumentUnavailable when the dossier lists no such document or
    the store cannot give it."""
    async with deps.pool.acquire() as conn:
        case = await own_case(conn, code, officer)
        reference = await case_file.document_of(conn, case.id, sha256)
    if reference is None:
        raise DocumentUnavailable(f"dossier {code} has no document {sha256[:70]}")
    if deps.documents is None:
        raise DocumentUnavailable("no document store is configured (PROCESSING_DOCUMENT_DIR)")
    return reference, await deps.documents.get(sha256)
