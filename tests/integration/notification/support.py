"""Helpers for notification's integration tests: a use case in its own unit of work, the
email and SMS effects run as the service runs them (one message per transaction), and a
stack of notification's HTTP edge and the sandbox eSMS gateway, both over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from deploy.sandbox.app import create_app
from deploy.sandbox.sms import DEV_ACCOUNT, SmsSandbox
from services.notification import api, effects, templating
from services.notification.adapters.mailer import Mailer
from services.notification.adapters.sms import EsmsAccount, EsmsGateway
from services.notification.consumers import handlers_of
from services.notification.deps import NotificationDeps, Writing
from shared.contracts.events import Applicant, DossierSubmitted, Envelope, Event
from shared.contracts.types import NotificationChannel
from shared.runtime.dispatch import Handler
from shared.runtime.effects import Effect, Retry, run_once
from shared.runtime.outbox import Transactions, UnitOfWork
from tests.support import serve_http, smtp_server

APPROVER = "lanhdao.tp@motcua.local"
WRITING = Writing(templates=templating.load(), approvers={"tp": APPROVER})
OPERATOR_TOKEN = "operator-" + uuid.uuid4().hex
REPORT_TOKEN = uuid.uuid4().hex


async def handle(pool, event: Event, envelope: Envelope, handler: Handler | None = None,
                 writing: Writing = WRITING) -> None:
    """Handle ``event`` as notification's consumer table routes it (unless told a handler)."""
    if handler is None:
        table = handlers_of(NotificationDeps(Transactions(pool, "notification"), (), writing))
        handler = table[type(event)]
    async with UnitOfWork(pool, producer="test") as uow:
        await handler(event, envelope, uow)
        await uow.commit()


async def drain(pool, effect: Effect) -> int:
    """Run the effect until nothing is due; how many attempts were made."""
    total, transactions = 0, Transactions(pool, "notification")
    while handled := await run_once(effect, transactions):
        total += handled
    return total


async def send(pool, mailer: Mailer, *, max_attempts: int = 3) -> int:
    """Every due email, one per transaction; how many were tried."""
    return await drain(pool, effects.emails(mailer, Retry(max_attempts=max_attempts)))


async def send_to_a_server(pool, sent: int) -> list[tuple[Any, list[str], Any]]:
    """Every due email, sent to a real SMTP server of the test's; ``sent`` of them must be
    tried. What the server received: (envelope sender, recipients, message) each."""
    with smtp_server() as (server, port):
        mailer = Mailer(host="127.0.0.1", port=port, sender="Một Cửa <no-reply@motcua.local>")
        try:
            assert await send(pool, mailer) == sent
        finally:
            mailer.close()
    return list(server.received)


async def submit(pool, code: str, *, phone: str = "0912345678", email: str = "binh@example.vn",
                 channels: tuple[NotificationChannel, ...] | None = None) -> uuid.UUID:
    """The applicant's submission, as notification remembers it; the dossier's id."""
    dossier_id = uuid.uuid4()
    submitted = DossierSubmitted(
        dossier_code=code, portal="p", portal_submission_id=str(dossier_id), agency_code="VTH",
        procedure_code="2.002189", procedure_name="Ghi vào Sổ hộ tịch việc kết hôn",
        department_code="tp", catalog_version="v",
        applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567", phone=phone,
                            email=email, channels=channels),
        return_method="online", fee=Decimal(0), committed_days=7,
        received_at=datetime(2025, 1, 23, 3, tzinfo=UTC), due_date=date(2025, 2, 10))
    await handle(pool, submitted, Envelope.wrap(submitted, dossier_id=dossier_id,
                                                producer="intake"))
    return dossier_id


async def tell(pool, dossier_id: uuid.UUID, code: str, event: Event) -> Envelope:
    envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="processing",
                             dossier_code=code)
    await handle(pool, event, envelope)
    return envelope


@dataclass
class Stack:
    pool: Any
    deps: NotificationDeps
    sandbox: SmsSandbox
    http: httpx.AsyncClient  # on notification's edge
    sandbox_http: httpx.AsyncClient  # on the sandbox's root
    gateway: EsmsGateway
    edge_url: str

    @property
    def reports_url(self) -> str:
        return f"{self.edge_url}/v1/sms/delivery-reports/{REPORT_TOKEN}"

    def sms_effect(self, *, max_attempts: int = 3) -> Effect:
        return effects.sms(self.gateway, Retry(max_attempts=max_attempts),
                           callback_url=self.reports_url)

    async def send_sms(self, *, max_attempts: int = 3) -> int:
        return await drain(self.pool, self.sms_effect(max_attempts=max_attempts))

    async def status(self, message_id: uuid.UUID) -> str:
        return await self.pool.fetchval("SELECT delivery_status FROM message WHERE id = $1",
                                        message_id)


@asynccontextmanager
async def notification_stack(pool, *, report_delay_s: float = 5.0) -> AsyncIterator[Stack]:
    edge = FastAPI()
    edge.include_router(api.router)
    sandbox = SmsSandbox(report_delay_s=report_delay_s)
    async with serve_http(edge) as edge_url, serve_http(create_app(texts=sandbox)) as sbx_url, \
            httpx.AsyncClient(base_url=f"{sbx_url}/sms", timeout=5) as client, \
            httpx.AsyncClient(base_url=edge_url, timeout=5) as http, \
            httpx.AsyncClient(base_url=sbx_url, timeout=5) as sandbox_http:
        edge.state.deps = NotificationDeps(
            transactions=Transactions(pool, "notification"), effects=(), writing=WRITING,
            operator_token=OPERATOR_TOKEN, report_token=REPORT_TOKEN)
        gateway = EsmsGateway(client, EsmsAccount(*DEV_ACCOUNT, "MOTCUA"))
        yield Stack(pool, edge.state.deps, sandbox, http, sandbox_http, gateway, edge_url)
