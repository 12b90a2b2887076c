"""Kafka ingress: portals publish submissions to ``portal.submissions`` instead of HTTP.

A record is keyed by the portal's submission id, carries the same JSON body as HTTP and the
signature headers. The outcome goes to ``portal.<portal_id>.receipts``, keyed alike: accepted
(with the dossier code and due date) or refused (with reasons, a bad signature included).
A record that names no known portal, or is not JSON, cannot be answered: it is dead-lettered.
The signature's age is measured against the record's timestamp, not the clock, so records
waiting out an intake outage are not refused as stale.

Records come in batches (a national portal forwards its day as one burst). Each record is
checked, and its documents stored, concurrently with the others (records of one key in their
order); the batch's new submissions are then registered together in one transaction, numbered
in their order, so the agency's counter row is locked for one commit per batch instead of one
per submission (that lock, not the CPU, held acceptance at ~100/s). If that transaction fails
(a submission sent twice in the batch, a replay raced by HTTP, the database), each of its
records is answered alone instead, exactly as over HTTP, with bounded retries and the
dead-letter topic. The batch's offsets are committed only once every receipt of the batch is
acknowledged by the broker, so a crash answers the batch again: a replayed submission gets
its receipt again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from services.intake.contracts import SubmitDossier
from services.intake.domain import Conflict, SubmissionRefused
from services.intake.handlers import (
    IntakeDeps,
    Registration,
    prepare_submission,
    register,
    replay_of,
)
from services.intake.parsing import Unreadable, parse_json
from services.intake.views import DossierReceipt, PortalReceipt
from shared.contracts.topics import PORTAL_SUBMISSIONS, portal_receipts
from shared.portal.auth import PORTAL_ID_HEADER, SignatureRefused, verify
from shared.runtime.messaging import PermanentError, dead_letter_message

log = structlog.get_logger(__name__)
CONSUMER = "intake.portal.submissions"


async def _raw_body(message: Any) -> bytes:
    body: bytes = message.body
    return body


def _headers(record: Any) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}


@dataclass
class _Prepared:
    """A record after its checks: a receipt to publish, a registration to write with the
    batch, or None when it is to be answered alone (an error, or a duplicate in the batch)."""

    portal: str
    outcome: PortalReceipt | Registration | None


class PortalIngress:
    def __init__(self, deps: IntakeDeps, broker: KafkaBroker, *, max_attempts: int = 5,
                 backoff_s: float = 0.2, batch_size: int = 200, concurrency: int = 8,
                 fetch_wait_ms: int = 500) -> None:
        self._deps = deps
        self._broker = broker
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._batch_size = batch_size
        self._concurrency = concurrency  # below the pool's size: HTTP intake shares it
        self._fetch_wait_ms = fetch_wait_ms

    def subscribe(self) -> None:
        subscriber = self._broker.subscriber(
            PORTAL_SUBMISSIONS, group_id=CONSUMER, auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR, title=f"{CONSUMER}:{PORTAL_SUBMISSIONS}",
            batch=True, max_records=self._batch_size, batch_timeout_ms=20, decoder=_raw_body,
            fetch_max_wait_ms=self._fetch_wait_ms,
        )

        @subscriber
        async def on_portal_submissions(bodies: list[bytes], message: KafkaMessage) -> None:
            await self.process_batch(message.raw_message)

    async def process_batch(self, records: Sequence[Any]) -> None:
        """Answer every record; return once every receipt is acknowledged by the broker."""
        by_key: dict[bytes | None, list[Any]] = {}
        for record in records:
            by_key.setdefault(record.key, []).append(record)
        room = asyncio.Semaphore(self._concurrency)

        async def prepare_in_order(same_key: list[Any]) -> list[tuple[Any, _Prepared]]:
            async with room:
                return [(r, await self._prepare(r)) for r in same_key]

        by_key_prepared = await asyncio.gather(*(prepare_in_order(rs) for rs in by_key.values()))
        for same_key in by_key_prepared:  # the same submission twice in the batch: the
            registering = [p for _, p in same_key if isinstance(p.outcome, Registration)]
            for later in registering[1:]:  # first goes with the batch, the others alone
                later.outcome = None
        await self._register_together([p for same_key in by_key_prepared for _, p in same_key])
        acks: list[asyncio.Future[Any]] = []
        alone: list[list[Any]] = []
        for same_key in by_key_prepared:
            # A key's records are answered in their order: from its first record to be
            # answered alone on, the rest of the key follows it alone.
            first_alone = next((i for i, (_, p) in enumerate(same_key) if p.outcome is None),
                               len(same_key))
            for record, p in same_key[:first_alone]:
                assert isinstance(p.outcome, PortalReceipt)
                if (ack := await self._answer(p.portal, p.outcome, record)) is not None:
                    acks.append(ack)
            if first_alone < len(same_key):
                alone.append([record for record, _ in same_key[first_alone:]])

        async def alone_in_order(same_key: list[Any]) -> list[asyncio.Future[Any]]:
            async with room:
                return [ack for r in same_key if (ack := await self.process(r)) is not None]

        answered = await asyncio.gather(*(alone_in_order(rs) for rs in alone))
        await asyncio.gather(*acks, *(ack for same_key in answered for ack in same_key))

    async def _prepare(self, record: Any) -> _Prepared:
        """A record's receipt, its registration, or (outcome None) to be answered alone."""
        try:
            portal, outcome = await self._check(record.value, _headers(record), record)
        except Exception:  # retried, or dead-lettered, when the record is answered alone
            return _Prepared("", None)
        return _Prepared(portal, outcome)

    async def _register_together(self, prepared: list[_Prepared]) -> None:
        lot = [(p, p.outcome) for p in prepared if isinstance(p.outcome, Registration)]
        if not lot:
            return
        try:
            receipts = await register([registration for _, registration in lot], self._deps)
        except Exception as error:
            log.warning("batch registration failed, answering its submissions one by one",
                        size=len(lot), error=repr(error))
            for p, _ in lot:
                p.outcome = None
            return
        for (p, registration), receipt in zip(lot, receipts, strict=True):
            p.outcome = self._accepted(registration.event.portal_submission_id, receipt,
                                       created=True)

    async def _answer(self, portal: str, receipt: PortalReceipt,
                      record: Any) -> asyncio.Future[Any] | None:
        """Publish the receipt; its acknowledgement (None when it could not be published:
        the record is then answered alone, which retries)."""
        try:
            ack: asyncio.Future[Any] = await self._broker.publish(
                receipt.model_dump_json().encode(), portal_receipts(portal),
                key=receipt.portal_submission_id.encode(), no_confirm=True)
        except Exception:
            return await self.process(record)
        log.info("portal submission answered", portal=portal, outcome=receipt.outcome,
                 dossier_code=receipt.receipt.dossier_code if receipt.receipt else None)
        return ack

    async def process(self, record: Any) -> asyncio.Future[Any] | None:
        """Answer one record; return its receipt's acknowledgement (None when dead-lettered)."""
        raw: bytes = record.value
        for attempt in range(1, self._max_attempts + 1):
            try:
                portal, receipt = await self._handle(raw, _headers(record), record)
                ack: asyncio.Future[Any] = await self._broker.publish(
                    receipt.model_dump_json().encode(), portal_receipts(portal),
                    key=receipt.portal_submission_id.encode(), no_confirm=True)
            except PermanentError as error:
                await self._dead_letter(raw, record, error, attempt)
                return None
            except Exception as error:
                if attempt == self._max_attempts:
                    await self._dead_letter(raw, record, error, attempt)
                    return None
                log.warning("portal submission failed, retrying", attempt=attempt,
                            error=repr(error))
                await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
                continue
            log.info("portal submission answered", portal=portal, outcome=receipt.outcome,
                      dossier_code=receipt.receipt.dossier_code if receipt.receipt else None)
            return ack
        return None

    async def _handle(self, raw: bytes, headers: dict[str, str],
                      record: Any) -> tuple[str, PortalReceipt]:
        """Answer one record, registering it alone when it is new."""
        portal, outcome = await self._check(raw, headers, record)
        if not isinstance(outcome, Registration):
            return portal, outcome
        submission_id = outcome.event.portal_submission_id
        try:
            (receipt,) = await register([outcome], self._deps)
        except asyncpg.UniqueViolationError:  # registered meanwhile: answer as a replay
            return portal, await self._replayed(portal, submission_id, outcome.request_sha256)
        return portal, self._accepted(submission_id, receipt, created=True)

    async def _check(self, raw: bytes, headers: dict[str, str],
                     record: Any) -> tuple[str, PortalReceipt | Registration]:
        """The record's receipt when it can be answered without writing (refused, or a
        replay), else its registration. PermanentError when it cannot be answered at all."""
        lowered = {k.lower(): v for k, v in headers.items()}
        portal = lowered.get(PORTAL_ID_HEADER.lower(), "")
        if portal not in self._deps.portal_keys:
            raise PermanentError(f"{PORTAL_ID_HEADER} {portal!r}: no such portal to answer")
        key = record.key.decode("utf-8", "replace") if getattr(record, "key", None) else ""
        signed_at = record.timestamp / 1000 if getattr(record, "timestamp", None) else None
        try:
            verify(self._deps.portal_keys, headers, raw, now=signed_at,
                   max_skew_s=self._deps.clock_skew_s)
        except SignatureRefused as refused:
            return portal, self._refused(key, [str(refused)])
        try:
            command, documents = parse_json(SubmitDossier, raw)
        except Unreadable as unreadable:
            raise PermanentError(str(unreadable)) from unreadable
        except SubmissionRefused as refused:
            return portal, self._refused(key, refused.reasons)
        submission_id = command.portal_submission_id
        if key and key != submission_id:
            return portal, self._refused(submission_id, [
                f"the record key {key!r} must be the portal_submission_id"])
        try:
            prepared = await prepare_submission(portal, command, documents, self._deps)
        except SubmissionRefused as refused:
            return portal, self._refused(submission_id, refused.reasons)
        except Conflict as conflict:
            return portal, self._refused(submission_id, [str(conflict)])
        if isinstance(prepared, DossierReceipt):
            return portal, self._accepted(submission_id, prepared, created=False)
        return portal, prepared

    async def _replayed(self, portal: str, submission_id: str,
                        request_sha256: str) -> PortalReceipt:
        try:
            receipt, _ = await replay_of(portal, submission_id, request_sha256, self._deps)
        except Conflict as conflict:
            return self._refused(submission_id, [str(conflict)])
        return self._accepted(submission_id, receipt, created=False)

    @staticmethod
    def _accepted(submission_id: str, receipt: DossierReceipt, *, created: bool
                  ) -> PortalReceipt:
        return PortalReceipt(portal_submission_id=submission_id, outcome="accepted",
                             replay=not created, receipt=receipt)

    @staticmethod
    def _refused(submission_id: str, reasons: list[str]) -> PortalReceipt:
        return PortalReceipt(portal_submission_id=submission_id, outcome="refused",
                             reasons=reasons)

    async def _dead_letter(self, raw: bytes, message: Any, error: BaseException,
                           attempts: int) -> None:
        await dead_letter_message(self._broker, consumer=CONSUMER, topic=PORTAL_SUBMISSIONS,
                                  raw=raw, message=message, error=error, attempts=attempts)
