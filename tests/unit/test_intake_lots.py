"""A lot whose registration is cancelled (the loop closing under it) cancels its requests'
answers: none waits forever for a receipt that will not come."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from services.intake.api import lots as lots_module
from services.intake.api.lots import RegistrationLots


@dataclasses.dataclass(frozen=True)
class FakeRegistration:
    name: str
    context: Any = None


async def test_a_cancelled_lot_cancels_the_answers_it_holds(monkeypatch) -> None:
    started = asyncio.Event()

    async def register(registrations: list[Any], deps: Any) -> list[Any]:
        started.set()
        await asyncio.Event().wait()  # a transaction that never ends
        return []

    monkeypatch.setattr(lots_module, "register", register)
    lots = RegistrationLots(deps=None, in_flight=1)  # type: ignore[arg-type]
    requests = [asyncio.create_task(lots.register(FakeRegistration(n)))  # type: ignore[arg-type]
                for n in "ab"]
    await asyncio.wait_for(started.wait(), 5)
    for task in list(lots._running):
        task.cancel()
    done, pending = await asyncio.wait(requests, timeout=5)
    assert not pending, "a request still waits for its lot"
    assert all(task.cancelled() for task in done)


async def test_a_failing_lot_still_answers_each_submission_alone(monkeypatch) -> None:
    async def register(registrations: list[Any], deps: Any) -> list[str]:
        if len(registrations) > 1:
            raise RuntimeError("one of them is a concurrent replay")
        if registrations[0].name == "b":
            raise KeyError("b")
        return [f"receipt {registrations[0].name}"]

    monkeypatch.setattr(lots_module, "register", register)
    lots = RegistrationLots(deps=None, in_flight=1)  # type: ignore[arg-type]
    a, b = (asyncio.create_task(lots.register(FakeRegistration(n)))  # type: ignore[arg-type]
            for n in "ab")
    assert await a == "receipt a"
    with pytest.raises(KeyError):
        await b
