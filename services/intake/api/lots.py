"""HTTP submissions registered in short lots: the submissions that arrive while a lot's
transaction is in flight are registered together in the next one (issue 17).

Every registration takes the portal's day row (its quota) and the agency's counter row, and
holds them until its commit: one transaction per HTTP request queued every request of a
portal behind the one before, and capped HTTP intake far below what the machine could do
(docs/benchmarks.md, optimisation log). A lot pays those locks, and its commit, once.

Nothing waits for a lot to fill: a submission finding no lot in flight starts one at once
(a quiet portal sees no added latency), and one arriving while ``in_flight`` lots run joins
the next, which starts as soon as one finishes. A lot is at most ``max_lot`` submissions.

The guarantees are ``register``'s: the lot commits whole or not at all, and a submission is
answered only once its dossier has committed. When a lot fails (a concurrent replay of one of
its submissions, a portal's quota passed by the lot, a lease swept), each of its submissions
is registered again alone, so each gets its own answer, exactly as without lots. A request
whose client has gone is still registered with its lot: the portal's retry gets the replay.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
from typing import Any

import structlog
from fastapi import Request

from services.intake.deps import IntakeDeps
from services.intake.handlers.submission import Registration, register
from services.intake.schemas import DossierReceipt

log = structlog.get_logger(__name__)

Waiting = tuple[Registration, "asyncio.Future[DossierReceipt]"]


class RegistrationLots:
    def __init__(self, deps: IntakeDeps, *, max_lot: int = 64, in_flight: int = 2) -> None:
        self._deps = deps
        self.max_lot, self.in_flight = max_lot, in_flight
        self._waiting: list[Waiting] = []
        self._running: set[asyncio.Task[None]] = set()

    async def register(self, registration: Registration) -> DossierReceipt:
        """The receipt once the submission's lot committed; raises what registering it alone
        raised when its lot failed (UniqueViolationError for a concurrent replay)."""
        answer: asyncio.Future[DossierReceipt] = asyncio.get_running_loop().create_future()
        # Its event carries the request's trace, its log line the request's fields.
        registration = dataclasses.replace(registration, context=contextvars.copy_context())
        self._waiting.append((registration, answer))
        if len(self._running) < self.in_flight:
            task = asyncio.create_task(self._run())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return await answer

    async def _run(self) -> None:
        while self._waiting:
            lot, self._waiting = (self._waiting[:self.max_lot],
                                  self._waiting[self.max_lot:])
            await self._register(lot)

    async def _register(self, lot: list[Waiting]) -> None:
        try:
            receipts = await register([r for r, _ in lot], self._deps)
        except Exception as error:
            if len(lot) == 1:
                _settle(lot[0][1], error=error)
                return
            log.info("lot registration failed, registering its submissions alone",
                     size=len(lot), error=type(error).__name__)
            await asyncio.gather(*(self._register([waiting]) for waiting in lot))
            return
        except BaseException:  # cancelled (the loop is closing): no request may wait forever
            for _, answer in lot:
                answer.cancel()
            raise
        for (_, answer), receipt in zip(lot, receipts, strict=True):
            _settle(answer, receipt)


def _settle(answer: asyncio.Future[DossierReceipt], receipt: DossierReceipt | None = None,
            *, error: BaseException | None = None) -> None:
    if answer.done():
        return
    if error is not None:
        answer.set_exception(error)
    else:
        answer.set_result(receipt)  # type: ignore[arg-type]


def lots_of(request: Request) -> RegistrationLots:
    """The application's lots (one per process), made on first use."""
    state: Any = request.app.state
    lots: RegistrationLots | None = getattr(state, "registration_lots", None)
    if lots is None:
        lots = state.registration_lots = RegistrationLots(state.deps)
    return lots
