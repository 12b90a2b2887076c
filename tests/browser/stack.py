"""Processing as it runs (its whole composition on the real broker and PostgreSQL), served
over real HTTP for a browser, and dossiers put on its queue the way they arrive: as
intake's DossierSubmitted on Kafka, their documents in the document store intake writes.
The console's tests and ``make screenshots`` share it."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from confluent_kafka import Producer
from pydantic import SecretStr

from services.processing.bootstrap import SPEC
from services.processing.settings import ProcessingSettings
from shared.contracts.events import (
    Applicant,
    DocumentRef,
    DossierSubmitted,
    Envelope,
    Event,
    SubmittedBy,
)
from shared.reference.catalog import load_catalog
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar
from shared.runtime.service import build_app
from tests.support import serve_http, wait_until

CATALOG, CALENDAR = load_catalog(), WorkingCalendar.default()
PASSWORD = "dev-password"  # noqa: S105 - the development accounts' documented password
PDF = b"%PDF-1.4\n% Mot Cua\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n"
# Codes unique on a broker other tests share, as intake's counter makes them.
_AGENCY, _NUMBERS = f"B{uuid.uuid4().hex[:4].upper()}", itertools.count(1)


@dataclass(frozen=True)
class Seeded:
    code: str
    dossier_id: uuid.UUID
    event: DossierSubmitted


@dataclass(frozen=True)
class ConsoleStack:
    url: str  # processing's base URL; the console is at url + "/console"
    db: str
    bootstrap: str
    documents: Path
    app: Any = None  # the running processing app (its state.deps can be replaced)

    @property
    def console(self) -> str:
        return f"{self.url}/console"

    def publish(self, dossier_id: uuid.UUID, code: str, *events: Event) -> None:
        """Events about a dossier on their topics, keyed by its id, as their producers do."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        for event in events:
            envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="test",
                                     dossier_code=code)
            producer.produce(event.topic, key=str(dossier_id).encode(),
                             value=envelope.model_dump_json().encode())
        assert producer.flush(30) == 0

    def store(self, content: bytes) -> str:
        """A document in the store intake writes (``<sha[:2]>/<sha>``); its SHA-256."""
        sha = hashlib.sha256(content).hexdigest()
        (self.documents / sha[:2]).mkdir(parents=True, exist_ok=True)
        (self.documents / sha[:2] / sha).write_bytes(content)
        return sha

    def submit(self, procedure_code: str, applicant: str, *, days_ago: int = 0,
               helper: tuple[str, str] | None = None,
               documents: dict[str, bytes] | None = None) -> Seeded:
        """A dossier as intake publishes it; ``days_ago`` backdates its receipt. Its
        documents are the procedure's mandatory ones unless ``documents`` names others."""
        received_at = datetime.now(UTC) - timedelta(days=days_ago)
        version = CATALOG.active(received_at)
        procedure = version.procedure(procedure_code)
        assert procedure is not None, procedure_code
        refs = tuple(
            DocumentRef(kind=kind, filename=f"{kind}.pdf", content_type="application/pdf",
                        size=len(content), sha256=self.store(content))
            for kind, content in (documents or {
                d.kind: PDF + f"% {d.kind}\n".encode() for d in procedure.required_documents
                if d.mandatory} or {"don_de_nghi": PDF}).items())
        code = f"{_AGENCY}-{received_at.astimezone(BUSINESS_TZ):%y%m%d}-{next(_NUMBERS):04d}"
        event = DossierSubmitted(
            dossier_code=code, portal="dvc-quoc-gia", portal_submission_id=str(uuid.uuid4()),
            agency_code=version.agency.code, procedure_code=procedure.code,
            procedure_name=procedure.name, department_code=procedure.department_code,
            catalog_version=version.id,
            applicant=Applicant(full_name=applicant, id_number="079203001234",
                                phone="0912345678", email="cong.dan@example.vn"),
            return_method="online", documents=refs, fee=Decimal(procedure.fee),
            committed_days=procedure.committed_days, received_at=received_at,
            due_date=CALENDAR.due_date(received_at, procedure.committed_days, procedure.cutoff),
            submitted_by=SubmittedBy(kind="helper", name=helper[0], organisation=helper[1])
            if helper else SubmittedBy(),
        )
        dossier_id = uuid.uuid4()
        self.publish(dossier_id, code, event)
        return Seeded(code, dossier_id, event)

    async def status_of(self, code: str) -> str | None:
        conn = await asyncpg.connect(self.db)
        try:
            return await conn.fetchval("SELECT status FROM dossier_case WHERE code = $1", code)
        finally:
            await conn.close()

    async def arrived(self, *seeded: Seeded, timeout: float = 30) -> None:  # noqa: ASYNC109
        for one in seeded:
            await wait_until(lambda one=one: self.status_of(one.code), timeout=timeout,
                             description=f"dossier {one.code} on processing's queue")


def next_working_day(after: date) -> date:
    day = after + timedelta(days=1)
    while not CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    return day


@asynccontextmanager
async def console_stack(postgres_url: str, kafka_bootstrap: str, documents: Path
                        ) -> AsyncIterator[ConsoleStack]:
    settings = ProcessingSettings(
        database_url=postgres_url, database_name=f"console_{uuid.uuid4().hex[:10]}",
        kafka_bootstrap_servers=kafka_bootstrap, environment="development",
        token_secret=SecretStr(uuid.uuid4().hex * 2), document_dir=documents,
        console_refresh_s=1.0, outbox_poll_interval_s=0.2, consumer_max_attempts=2,
        consumer_retry_backoff_s=0.01)
    app = build_app(SPEC, settings)
    async with app.router.lifespan_context(app), serve_http(app) as url:
        yield ConsoleStack(url, settings.service_database_url, kafka_bootstrap, documents, app)
