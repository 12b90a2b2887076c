"""Officers' actions racing other writers on one dossier, on a real database: whoever writes
second decides again on what the first one left, so nothing is decided on a state nobody
saw, and each action is written whole or not at all."""

from __future__ import annotations

import asyncio

import pytest

from services.processing.handlers import officer_actions
from services.processing.handlers.events import on_withdrawal_requested
from shared.contracts.events import WithdrawalRequested
from tests.integration.processing.support import (
    OWN,
    act,
    dossier_in,
    submission,
)
from tests.support import wait_until

pytestmark = pytest.mark.integration


async def _trail(pool, code: str) -> list[tuple[str, str | None, str]]:
    return [(r["action"], r["from_status"], r["to_status"]) for r in await pool.fetch(
        """SELECT action, from_status, to_status FROM case_audit
           WHERE dossier_id = (SELECT id FROM dossier_case WHERE code = $1) ORDER BY id""",
        code)]


async def test_an_action_waits_for_a_transaction_holding_the_dossier_then_sees_its_work(
        http, deps, pool) -> None:
    code = await dossier_in(http, deps, "accepted")
    dossier_id = await pool.fetchval("SELECT id FROM dossier_case WHERE code = $1", code)
    _, envelope = submission("1.009995", deps.now())
    envelope = envelope.model_copy(update={"dossier_id": dossier_id, "dossier_code": code})
    async with deps.transactions(envelope) as uow:  # the citizen's withdrawal, being handled
        await on_withdrawal_requested(deps, WithdrawalRequested(
            dossier_code=code, reason="Thôi", requested_at=deps.now()),
                                      envelope, uow)
        start = asyncio.create_task(act(http, code, OWN, "specialist", {"action": "start"}))

        async def start_waits_for_the_row() -> bool:
            return bool(await pool.fetchval(
                """SELECT count(*) FROM pg_stat_activity
                   WHERE wait_event_type = 'Lock' AND datname = current_database()"""))

        await wait_until(start_waits_for_the_row, timeout=10)
        assert not start.done()
        await uow.commit()
    answer = await start
    assert answer.status_code == 409 and answer.json()["status"] == "withdrawn"
    assert await _trail(pool, code) == [("register", None, "registered"),
                                        ("accept", "registered", "accepted"),
                                        ("withdraw", "accepted", "withdrawn")]


def _another_officer_acts_first(monkeypatch, http, code: str, role: str, body: dict
                                ) -> list:
    """Make the next action's write come right after ``role``'s action ``body``, which lands
    between that action's read and its write."""
    real_write, answers, raced = officer_actions.write_transition, [], []

    async def write_after_another_officer(*args, **kwargs):
        if not raced:  # the first write only: the other officer's own goes straight through
            raced.append(True)
            answers.append(await act(http, code, OWN, role, body))
        return await real_write(*args, **kwargs)

    monkeypatch.setattr(officer_actions, "write_transition", write_after_another_officer)
    return answers


async def test_an_action_still_allowed_after_another_one_is_decided_again_from_there(
        http, deps, pool, monkeypatch) -> None:
    code = await dossier_in(http, deps, "accepted")
    meanwhile = _another_officer_acts_first(monkeypatch, http, code, "specialist",
                                            {"action": "start"})
    stop = await act(http, code, OWN, "approver", {"action": "stop", "reason": "Dừng"})
    assert meanwhile[0].status_code == 200
    assert stop.status_code == 200 and stop.json()["status"] == "stopped"
    assert stop.json()["version"] == 3
    assert (await _trail(pool, code))[2:] == [("start", "accepted", "in_progress"),
                                              ("stop", "in_progress", "stopped")]


async def test_an_action_no_longer_allowed_after_another_one_is_refused_and_not_written(
        http, deps, pool, monkeypatch) -> None:
    code = await dossier_in(http, deps, "accepted")
    meanwhile = _another_officer_acts_first(monkeypatch, http, code, "approver",
                                            {"action": "stop", "reason": "Dừng"})
    start = await act(http, code, OWN, "specialist", {"action": "start"})
    assert meanwhile[0].status_code == 200
    assert start.status_code == 409 and start.json()["status"] == "stopped"
    assert start.json()["allowed_actions"] == []
    assert (await _trail(pool, code))[2:] == [("stop", "accepted", "stopped")]
    outbox = await pool.fetch("SELECT headers FROM outbox_message ORDER BY id")
    assert "DossierProcessingStarted" not in [r["headers"]["event_type"] for r in outbox]
