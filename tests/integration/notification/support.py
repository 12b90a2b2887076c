"""Helpers for notification's integration tests: a use case in its own unit of work, and one
step of the email effect as the service runs it."""

from __future__ import annotations

from services.notification import effects
from services.notification.adapters.mailer import Mailer
from services.notification.handlers import queue_letter
from shared.contracts.events import Envelope, Event
from shared.runtime.dispatch import Handler
from shared.runtime.effects import Retry, run_once
from shared.runtime.outbox import Transactions, UnitOfWork


async def handle(pool, event: Event, envelope: Envelope, handler: Handler = queue_letter) -> None:
    async with UnitOfWork(pool, producer="test") as uow:
        await handler(event, envelope, uow)
        await uow.commit()


async def send(pool, mailer: Mailer, *, max_attempts: int = 3, batch_size: int = 20) -> int:
    """One batch of due emails; how many were tried."""
    effect = effects.emails(mailer, Retry(max_attempts=max_attempts), batch_size=batch_size)
    return await run_once(effect, Transactions(pool, "notification"))
