"""Kafka ingress: portals publish submissions to ``portal.submissions`` instead of HTTP.

A record is keyed by the portal's submission id, carries the same JSON body as HTTP and the
signature headers (version 2, with the topic and the key in place of the method and the path,
so a signature is good for one record on one topic; its nonce is remembered like HTTP's, and
the same record delivered again after a crash is told from a replay by its offset). The
outcome goes to ``portal.<portal_id>.receipts``, keyed alike: accepted (with the dossier code
and due date) or refused (with reasons). A record that is not
authenticated (no known portal, a bad or malformed signature) is never answered, not even on
the claimed portal's topic, where a stranger could otherwise forge "refused" receipts: it is
dead-lettered, as is a record that is not JSON or too large to dead-letter whole. The
signature's age is measured against intake's own clock (the record's timestamp is the
producer's to choose): at most the clock skew ahead, and at most
``INTAKE_PORTAL_RECORD_MAX_AGE_S`` behind, so records waiting out an intake outage are not
refused as stale while an old signed body cannot be replayed for ever.

This module is the ingress's :class:`shared.runtime.consumer.BatchHook`: the shared consumer
owns batching, the fall-back to one record at a time, retries and dead letters. A batch (a
national portal forwards its day as one burst) is checked concurrently, its documents stored,
records of one key in their order; its new submissions are then registered together in one
transaction (see handlers.register), and every receipt is published and acknowledged before
the batch's offsets are committed, so a crash answers the batch again (a replayed submission
gets its receipt again). A record that cannot be answered with the batch (an error, the same
submission twice in it, a failed lot) is left to be answered alone, as over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from services.intake.api.signature import REPLAYED, remember_nonce
from services.intake.deps import IntakeDeps
from services.intake.domain import Conflict, SubmissionRefused
from services.intake.handlers.submission import (
    Registration,
    prepare_submission,
    register,
    replay_of,
)
from services.intake.parsing import Unreadable, parse_json
from services.intake.schemas import DossierReceipt, PortalReceipt, SubmitDossier
from shared.contracts.topics import PORTAL_SUBMISSIONS
from shared.portal.auth import PORTAL_ID_HEADER, Claim, SignatureRefused, verify_record
from shared.runtime.consumer import PermanentError, Subscription
from shared.runtime.dlq import HEADER_BUDGET, MAX_REQUEST_BYTES

log = structlog.get_logger(__name__)
CONSUMER = "intake.portal.submissions"
MAX_RECORD_BYTES = MAX_REQUEST_BYTES - HEADER_BUDGET
"""A larger record could not be dead-lettered whole: it is refused up front."""


@dataclass(frozen=True)
class PortalRecord:
    """A record from a known portal, not yet checked: its headers and its key."""

    portal: str
    headers: dict[str, str]
    key: str
    claim: Claim
    origin: str  # topic/partition/offset: the same record delivered again is no replay


def ingress(deps: IntakeDeps, *, concurrency: int = 8) -> Subscription[PortalRecord]:
    """The ingress's subscription, a consumer group of its own (its offsets predate the
    service's group). ``concurrency`` stays below the pool's size: HTTP intake shares it."""
    return Subscription(CONSUMER, PortalIngress(deps, concurrency), batch_size=200,
                        alone_concurrency=concurrency)


class PortalIngress:
    topics = (PORTAL_SUBMISSIONS,)

    def __init__(self, deps: IntakeDeps, concurrency: int = 8) -> None:
        self._deps = deps
        self._concurrency = concurrency

    def consumer_name(self, topic: str) -> str:
        return CONSUMER

    def decode(self, record: Any) -> PortalRecord:
        headers = {k: v.decode("utf-8", "replace") for k, v in (record.headers or ())}
        lowered = {k.lower(): v for k, v in headers.items()}
        portal = lowered.get(PORTAL_ID_HEADER.lower(), "")
        if portal not in self._deps.portal_keys:
            raise PermanentError(f"{PORTAL_ID_HEADER} {portal[:64]!r}: no such portal to answer")
        if len(record.value or b"") > MAX_RECORD_BYTES:
            raise PermanentError(f"the record exceeds {MAX_RECORD_BYTES} bytes")
        key = record.key.decode("utf-8", "replace") if record.key else ""
        try:
            claimed = verify_record(self._deps.portal_keys, headers, record.value or b"",
                                    topic=PORTAL_SUBMISSIONS, key=key,
                                    max_skew_s=self._deps.clock_skew_s,
                                    max_age_s=self._deps.record_max_age_s)
        except SignatureRefused as refused:
            raise PermanentError(f"not authenticated: {refused}") from refused
        return PortalRecord(portal, headers, key, claimed,
                            f"{record.topic}/{record.partition}/{record.offset}")

    async def handle_many(self, batch: Sequence[tuple[Any, PortalRecord]]) -> Sequence[Any]:
        by_key: dict[str, list[tuple[Any, PortalRecord]]] = {}
        for record, item in batch:
            by_key.setdefault(item.key, []).append((record, item))
        room = asyncio.Semaphore(self._concurrency)

        async def check_in_order(same_key: list[tuple[Any, PortalRecord]]) -> list[Any]:
            async with room:
                return [await self._check_or_none(record, item) for record, item in same_key]

        outcomes = await asyncio.gather(*(check_in_order(rs) for rs in by_key.values()))
        for same_key in outcomes:  # the same submission twice in the batch: the first goes
            registering = [i for i, o in enumerate(same_key) if isinstance(o, Registration)]
            for later in registering[1:]:  # with the batch, the others alone
                same_key[later] = None
        await self._register_together(outcomes)
        acks: list[asyncio.Future[Any]] = []
        left: list[Any] = []
        for same_key, answers in zip(by_key.values(), outcomes, strict=True):
            # A key's records are answered in their order: from its first record to be
            # answered alone on, the rest of the key follows it alone.
            first_alone = next((i for i, a in enumerate(answers) if a is None), len(answers))
            for (_, item), receipt in zip(same_key[:first_alone], answers, strict=False):
                acks.append(await self._answer(item.portal, receipt))
            left += [record for record, _ in same_key[first_alone:]]
        await asyncio.gather(*acks)
        return left

    async def handle_one(self, record: Any, item: PortalRecord) -> None:
        outcome = await self._check(record, item)
        if isinstance(outcome, Registration):
            submission_id = outcome.event.portal_submission_id
            try:
                (receipt,) = await register([outcome], self._deps)
                outcome = _accepted(submission_id, receipt, created=True)
            except asyncpg.UniqueViolationError:  # registered meanwhile: answer as a replay
                outcome = await self._replayed(item.portal, submission_id,
                                               outcome.request_sha256)
            except SubmissionRefused as refused:  # the portal's daily quota, judged at commit
                outcome = _refused(submission_id, refused.reasons)
        await (await self._answer(item.portal, outcome))

    async def _check_or_none(self, record: Any, item: PortalRecord
                             ) -> PortalReceipt | Registration | None:
        try:
            return await self._check(record, item)
        except Exception:  # answered alone, where it is retried or dead-lettered
            return None

    async def _register_together(self, outcomes: list[list[Any]]) -> None:
        lot = [(same_key, i) for same_key in outcomes
               for i, o in enumerate(same_key) if isinstance(o, Registration)]
        if not lot:
            return
        try:
            receipts = await register([same_key[i] for same_key, i in lot], self._deps)
        except Exception as error:
            log.warning("batch registration failed, answering its submissions one by one",
                        size=len(lot), error=repr(error))
            for same_key, i in lot:
                same_key[i] = None
            return
        for (same_key, i), receipt in zip(lot, receipts, strict=True):
            same_key[i] = _accepted(same_key[i].event.portal_submission_id, receipt,
                                    created=True)

    async def _answer(self, portal: str, receipt: PortalReceipt) -> asyncio.Future[Any]:
        ack = await self._deps.receipts.send(portal, receipt)
        log.info("portal submission answered", portal=portal, outcome=receipt.outcome,
                 dossier_code=receipt.receipt.dossier_code if receipt.receipt else None)
        return ack

    async def _check(self, record: Any, item: PortalRecord) -> PortalReceipt | Registration:
        """The record's receipt when it can be answered without writing (refused, or a
        replay), else its registration. PermanentError when it cannot be answered at all
        (a replayed signature among them: it is not the portal's, so it gets no receipt)."""
        if not await remember_nonce(self._deps.pool, item.claim, origin=item.origin):
            raise PermanentError(f"not authenticated: {REPLAYED}")
        raw: bytes = record.value
        try:
            command, documents = parse_json(SubmitDossier, raw)
        except Unreadable as unreadable:
            raise PermanentError(str(unreadable)) from unreadable
        except SubmissionRefused as refused:
            return _refused(item.key, refused.reasons)
        submission_id = command.portal_submission_id
        if item.key and item.key != submission_id:
            return _refused(submission_id, [
                f"the record key {item.key!r} must be the portal_submission_id"])
        try:
            prepared = await prepare_submission(item.portal, command, documents, self._deps)
        except SubmissionRefused as refused:
            return _refused(submission_id, refused.reasons)
        except Conflict as conflict:
            return _refused(submission_id, [str(conflict)])
        if isinstance(prepared, DossierReceipt):
            return _accepted(submission_id, prepared, created=False)
        return prepared

    async def _replayed(self, portal: str, submission_id: str,
                        request_sha256: str) -> PortalReceipt:
        try:
            receipt, _ = await replay_of(portal, submission_id, request_sha256, self._deps)
        except Conflict as conflict:
            return _refused(submission_id, [str(conflict)])
        return _accepted(submission_id, receipt, created=False)


def _accepted(submission_id: str, receipt: DossierReceipt, *, created: bool) -> PortalReceipt:
    return PortalReceipt(portal_submission_id=submission_id, outcome="accepted",
                         replay=not created, receipt=receipt)


def _refused(submission_id: str, reasons: list[str]) -> PortalReceipt:
    return PortalReceipt(portal_submission_id=submission_id, outcome="refused",
                         reasons=reasons)
