"""Scripted answers, the switch every sandbox shares: a test tells a sandbox how to answer the
next calls about one reference (a dossier code, a phone number), so each test scripts its own
case and no test changes how the sandbox answers another's.

``PUT <prefix>/_sandbox/<kind>/{reference}`` with ``{"answers": [...], "hold_s": 30}`` queues
answers; each call about that reference takes the next one, and a reference with none left
gets the sandbox's default. ``GET <prefix>/_sandbox/<kind>/{reference}/calls`` lists the
answers given so far, one per call (``"default"`` for an unscripted one), so a test can count
how often the service called. Two answers mean the same in every sandbox:

- ``error``: HTTP 503, nothing recorded (the provider is down for a moment).
- ``timeout``: no answer until the client gives up (at most ``hold_s`` seconds), nothing
  recorded; the client's own timeout decides how long it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

COMMON = ("error", "timeout")


class ScriptIn(BaseModel):
    answers: list[str] = Field(min_length=1)
    hold_s: float = Field(30.0, gt=0, le=300)


class Script:
    """The scripted answers of one kind of call (payments, refunds, shipments, messages)."""

    def __init__(self, kind: str, answers: tuple[str, ...]) -> None:
        self.kind = kind
        self.answers = frozenset((*answers, *COMMON))
        self._queued: dict[str, deque[str]] = {}
        self._hold_s: dict[str, float] = {}
        self.calls: dict[str, list[str]] = {}

    def router(self) -> APIRouter:
        router = APIRouter(prefix=f"/_sandbox/{self.kind}", include_in_schema=False)

        @router.put("/{reference}")
        async def script(reference: str, body: ScriptIn) -> dict[str, object]:
            unknown = sorted(set(body.answers) - self.answers)
            if unknown:
                raise HTTPException(422, f"unknown answers {unknown}; known: "
                                         f"{sorted(self.answers)}")
            self._queued.setdefault(reference, deque()).extend(body.answers)
            self._hold_s[reference] = body.hold_s
            return {"reference": reference, "queued": list(self._queued[reference])}

        @router.get("/{reference}/calls")
        async def calls(reference: str) -> list[str]:
            return self.calls.get(reference, [])

        return router

    async def take(self, reference: str, request: Request) -> str | None:
        """The answer to this call: a scripted one, or None for the default. Answers
        ``error`` and ``timeout`` here, by raising and by holding the call."""
        queued = self._queued.get(reference)
        answer = queued.popleft() if queued else None
        self.calls.setdefault(reference, []).append(answer or "default")
        if answer == "error":
            raise HTTPException(503, "sandbox: scripted error")
        if answer == "timeout":
            await _hold(request, self._hold_s.get(reference, 30.0))
            raise HTTPException(504, "sandbox: scripted timeout (the client waited longer)")
        return answer


async def _hold(request: Request, hold_s: float) -> None:
    """Hold the call until the client hangs up (or ``hold_s`` passes): the client's timeout
    ends it, and the sandbox keeps no task behind once the client is gone."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_hung_up(request), hold_s)


async def _hung_up(request: Request) -> None:
    # The body is read already: what the server passes on next is the client's disconnect.
    while (await request.receive())["type"] != "http.disconnect":
        pass
