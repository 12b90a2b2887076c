"""What the benchmark sees from the outside: a department's client reading every department
queue (and approving what is ready), a follower of ``dossier.events`` noting when each dossier
was registered and when it became final, and the portal reading its receipts of Kafka
submissions. Times are wall-clock seconds of arrival here.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts.topics import DOSSIER_EVENTS, PAYMENT_EVENTS, portal_receipts
from tests.bench.citizens import Citizens
from tests.bench.department import DepartmentClient


@dataclass
class Seen:
    submission_of: dict[str, str] = field(default_factory=dict)  # dossier code -> submission id
    registered_at: dict[str, float] = field(default_factory=dict)  # intake's received_at
    queued_at: dict[str, float] = field(default_factory=dict)
    final_at: dict[str, float] = field(default_factory=dict)
    accepted_at: dict[str, float] = field(default_factory=dict)  # submission id -> receipt
    refused: dict[str, list[str]] = field(default_factory=dict)
    postal: set[str] = field(default_factory=set)  # dossiers returned by post
    fee_requested: set[str] = field(default_factory=set)  # dossiers with a fee to pay
    paid_at: dict[str, float] = field(default_factory=dict)  # PaymentCompleted read

    def codes_of(self, tag: str) -> list[str]:
        """The dossiers of one scenario (its submission ids are "<tag>-<n>")."""
        prefix = f"{tag}-"
        return [c for c, s in self.submission_of.items() if s.startswith(prefix)]

    def receipts_of(self, tag: str) -> int:
        prefix = f"{tag}-"
        return sum(1 for s in [*self.accepted_at, *self.refused] if s.startswith(prefix))


class Observer:
    """Follows the broker; hands each work item to the departments, each payment link to
    the citizens. Subclasses may choose where a position past the log's end goes
    (``AUTO_OFFSET_RESET``), which topics it reads besides the department queues
    (``TOPICS``) and what runs while the observer is open (``_followers``)."""

    AUTO_OFFSET_RESET = "latest"
    TOPICS: tuple[str, ...] = (DOSSIER_EVENTS, PAYMENT_EVENTS)

    def __init__(self, bootstrap: str, departments: DepartmentClient, portal_id: str,
                 *, fetch_wait_ms: int = 500, citizens: Citizens | None = None) -> None:
        self.seen = Seen()
        self._fetch_wait_ms = fetch_wait_ms
        self._bootstrap = bootstrap
        self._receipts = portal_receipts(portal_id)
        self._departments = departments
        self._citizens = citizens
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Observer:
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False,
                                    auto_offset_reset=self.AUTO_OFFSET_RESET,
                                    max_partition_fetch_bytes=4 * 2**20,
                                    fetch_max_wait_ms=self._fetch_wait_ms)
        await consumer.start()
        topics = [t for t in await consumer.topics()
                  if t in (*self.TOPICS, self._receipts)
                  or (t.startswith("department.") and t.endswith(".work"))]
        partitions = [TopicPartition(t, p) for t in topics
                      for p in consumer.partitions_for_topic(t) or ()]
        consumer.assign(partitions)
        for partition in partitions:
            consumer.seek(partition, 0)
        self._consumer = consumer
        self._partitions = partitions
        self._tasks = [asyncio.create_task(follower) for follower in self._followers()]
        return self

    def _followers(self) -> list[Coroutine[None, None, None]]:
        return [self._follow()]

    async def __aexit__(self, *_: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._consumer.stop()

    async def _follow(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.time()
            for records in batch.values():
                for record in records:
                    if record.topic == self._receipts:
                        self._receipt(json.loads(record.value), now)
                    else:
                        self._note(json.loads(record.value), now)

    def _receipt(self, receipt: dict, now: float) -> None:
        if receipt["outcome"] == "accepted":
            self.seen.accepted_at.setdefault(receipt["portal_submission_id"], now)
        else:
            self.seen.refused[receipt["portal_submission_id"]] = receipt["reasons"]

    def _note(self, envelope: dict, now: float) -> None:
        kind, payload = envelope["event_type"], envelope["payload"]
        code = payload.get("dossier_code") or envelope.get("dossier_code")
        if kind == "DossierSubmitted":
            self.seen.submission_of[code] = payload["portal_submission_id"]
            self.seen.registered_at[code] = datetime.fromisoformat(
                payload["received_at"]).timestamp()
            if payload.get("return_method") == "postal":
                self.seen.postal.add(code)
        elif kind == "WorkItemQueued":
            self.seen.queued_at.setdefault(code, now)
        elif kind == "DossierResultReturned":
            self.seen.final_at.setdefault(code, now)
        elif kind == "PaymentRequested" and self._citizens and payload.get("pay_url"):
            self._citizens.notice(code, payload["pay_url"])  # the link the citizen is emailed
        elif kind == "PaymentCompleted":
            self.seen.paid_at.setdefault(code, now)
        if kind == "PaymentRequested":
            self.seen.fee_requested.add(code)
        if kind in ("WorkItemQueued", "WorkItemStatusChanged"):
            self._departments.notice(code, payload["department_code"], payload["status"])
