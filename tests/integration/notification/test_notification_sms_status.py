"""The SMS status query, the delivery report's fallback: when eSMS's report is lost (the
sandbox drops it, or our edge is down through its five tries), an SMS still ``sending``
``after_s`` after it was accepted is asked about by its SMSID (GetSendStatus) and settled as
the report would have settled it, with one NotificationStatusChanged; a report arriving later
changes nothing. Time is the test's: the effect's clock is moved, and the sandbox's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.notification import effects
from shared.contracts.events import (
    DossierWithdrawn,
    Envelope,
    NotificationFailed,
    NotificationStatusChanged,
)
from shared.runtime.effects import Retry, run_once
from shared.runtime.outbox import Transactions
from tests.integration.notification.support import (
    REPORT_TOKEN,
    Stack,
    drain,
    notification_stack,
    submit,
    tell,
)

pytestmark = pytest.mark.integration
AFTER_S = 300.0
_N = iter(range(1, 10_000))


@pytest.fixture
async def stack(pool) -> AsyncIterator[Stack]:
    async with notification_stack(pool, report_delay_s=5) as running:
        yield running


async def accepted_sms(stack: Stack, phone: str) -> tuple[uuid.UUID, str]:
    """A withdrawn dossier's one SMS, sent and accepted: its id and its SMSID."""
    dossier = f"VTH-250301-{next(_N):04d}"
    dossier_id = await submit(stack.pool, dossier, phone=phone, channels=("sms",))
    await tell(stack.pool, dossier_id, dossier, DossierWithdrawn(dossier_code=dossier))
    message_id = await stack.pool.fetchval("SELECT id FROM message WHERE dossier_code = $1",
                                           dossier)
    assert await stack.send_sms() == 1
    assert await stack.status(message_id) == "sending"
    sms_id = await stack.pool.fetchval("SELECT provider_id FROM message WHERE id = $1",
                                       message_id)
    return message_id, sms_id


async def recheck(stack: Stack, *, later_s: float, retry: Retry | None = None) -> int:
    """One pass of the status query with its clock ``later_s`` from now; rows attempted."""
    effect = effects.sms_status(stack.gateway, retry or Retry(), after_s=AFTER_S)
    at = datetime.now(UTC) + timedelta(seconds=later_s)
    return await run_once(effect, Transactions(stack.pool, "notification"), now=lambda: at)


async def events_of(stack: Stack, message_id: uuid.UUID) -> list[object]:
    found = [Envelope.model_validate_json(r["payload"]).event()
             for r in await stack.pool.fetch("SELECT payload FROM outbox_message ORDER BY id")]
    return [e for e in found if getattr(e, "message_id", None) == message_id]


async def statuses(stack: Stack, message_id: uuid.UUID) -> list[str]:
    return [e.status for e in await events_of(stack, message_id)
            if isinstance(e, NotificationStatusChanged)]


async def report(stack: Stack, message_id: uuid.UUID, sms_id: str, send_status: str) -> dict:
    answer = await stack.http.get(f"/v1/sms/delivery-reports/{REPORT_TOKEN}/{message_id}",
                                  params={"SMSID": sms_id, "SendStatus": send_status})
    assert answer.status_code == 200
    return answer.json()


async def test_a_lost_report_is_recovered_by_the_status_query_and_a_late_one_changes_nothing(
        stack) -> None:
    await stack.sandbox_http.put("/sms/_sandbox/esms/switches", json={"drop_reports": True})
    message_id, sms_id = await accepted_sms(stack, "0912346001")
    assert await stack.sandbox.advance(60) == 0, "no report comes"
    assert await recheck(stack, later_s=AFTER_S - 30) == 0, "not asked before after_s"

    assert await recheck(stack, later_s=AFTER_S + 1) == 1
    assert await stack.status(message_id) == "delivered"
    assert await statuses(stack, message_id) == ["sending", "delivered"]
    row = await stack.pool.fetchrow("SELECT status, attempts FROM message WHERE id = $1",
                                    message_id)
    assert tuple(row) == ("sent", 0), "asking is no failed attempt"
    assert await recheck(stack, later_s=2 * AFTER_S + 2) == 0, "nothing left to ask"

    assert await report(stack, message_id, sms_id, "5") == {"received": True, "moved": False}
    assert await report(stack, message_id, sms_id, "4") == {"received": True, "moved": False}
    assert await stack.status(message_id) == "delivered"
    assert await statuses(stack, message_id) == ["sending", "delivered"], "once"
    details = await stack.pool.fetch("SELECT status, detail FROM message_status_change "
                                     "WHERE message_id = $1 ORDER BY at", message_id)
    assert [r["status"] for r in details] == ["created", "sending", "delivered"]
    assert details[-1]["detail"] == "SendStatus 5 (GetSendStatus)"


async def test_reports_refused_by_a_down_edge_are_recovered_as_rejected(stack) -> None:
    """The edge answers 404 to all five tries (a stale token: as if it were down); eSMS
    knows the operator rejected the SMS, and so the query says."""
    dossier = f"VTH-250301-{next(_N):04d}"
    dossier_id = await submit(stack.pool, dossier, phone="0912340004", channels=("sms",))
    await tell(stack.pool, dossier_id, dossier, DossierWithdrawn(dossier_code=dossier))
    message_id = await stack.pool.fetchval("SELECT id FROM message WHERE dossier_code = $1",
                                           dossier)
    down = effects.sms(stack.gateway, Retry(),
                       callback_url=f"{stack.edge_url}/v1/sms/delivery-reports/stale-token")
    assert await drain(stack.pool, down) == 1
    for _ in range(5):
        await stack.sandbox.advance(6)
    [lost] = stack.sandbox.view("0912340004")["reports"]
    assert lost["answers"] == ["404"] * 5 and lost["send_status"] == "4"
    assert await stack.status(message_id) == "sending"

    assert await recheck(stack, later_s=AFTER_S + 1) == 1
    assert await stack.status(message_id) == "permanent-failure"
    assert await statuses(stack, message_id) == ["sending", "permanent-failure"]


async def test_while_esms_does_not_know_yet_it_is_asked_again_later(stack) -> None:
    await stack.sandbox_http.put("/sms/_sandbox/esms/switches", json={"drop_reports": True})
    message_id, _ = await accepted_sms(stack, "0912346003")
    await stack.sandbox.advance(10)
    await stack.sandbox_http.put("/sms/_sandbox/status/0912346003",
                                 json={"answers": ["waiting", "error"]})

    assert await recheck(stack, later_s=AFTER_S + 1) == 1
    assert await stack.status(message_id) == "sending"
    assert await recheck(stack, later_s=AFTER_S + 60) == 0, "asked again after_s later only"
    assert await recheck(stack, later_s=2 * AFTER_S + 2) == 1, "the gateway is down: later"
    assert await stack.status(message_id) == "sending"
    assert await recheck(stack, later_s=3 * AFTER_S + 3) == 1
    assert await stack.status(message_id) == "delivered"
    assert (await stack.sandbox_http.get("/sms/_sandbox/status/0912346003/calls")).json() == [
        "waiting", "error", "default"]
    row = await stack.pool.fetchrow("SELECT status, attempts FROM message WHERE id = $1",
                                    message_id)
    assert tuple(row) == ("sent", 0), "a failed query is no failed attempt"
    assert await statuses(stack, message_id) == ["sending", "delivered"]


async def test_a_report_taken_first_leaves_nothing_to_ask(stack) -> None:
    message_id, _ = await accepted_sms(stack, "0912346004")
    assert await stack.sandbox.advance(6) == 1
    assert await stack.status(message_id) == "delivered"
    assert await recheck(stack, later_s=AFTER_S + 1) == 0
    assert stack.sandbox.status_script.calls.get("0912346004") is None, "eSMS not asked"
    assert await statuses(stack, message_id) == ["sending", "delivered"]


async def test_the_query_with_wrong_keys_or_an_unknown_smsid_decides_nothing(stack) -> None:
    answer = await stack.sandbox_http.get("/sms/MainService.svc/json/GetSendStatus", params={
        "RefId": "sbx-none", "ApiKey": "MOTCUA-DEV-APIKEY", "SecretKey": "MOTCUA-DEV-SECRET"})
    assert answer.json()["CodeResponse"] == "404"
    unknown = await stack.gateway.status("sbx-none")
    assert unknown.report_status is None
    await stack.sandbox_http.put("/sms/_sandbox/esms/switches", json={"drop_reports": True})
    _, sms_id = await accepted_sms(stack, "0912346005")
    await stack.sandbox.advance(10)
    wrong = await stack.sandbox_http.get("/sms/MainService.svc/json/GetSendStatus", params={
        "RefId": sms_id, "ApiKey": "guessed", "SecretKey": "guessed"})
    assert wrong.json()["CodeResponse"] == "101"
    known = await stack.gateway.status(sms_id)
    assert (known.code, known.send_status, known.success, known.report_status) == (
        "100", "5", 1, "5")


async def test_still_undecided_after_the_pending_limit_the_asking_stops(stack) -> None:
    await stack.sandbox_http.put("/sms/_sandbox/esms/switches", json={"drop_reports": True})
    message_id, _ = await accepted_sms(stack, "0912346006")
    await stack.sandbox_http.put("/sms/_sandbox/status/0912346006",
                                 json={"answers": ["waiting"] * 3})
    bound = Retry(pending_limit=timedelta(seconds=AFTER_S + 100))
    assert await recheck(stack, later_s=AFTER_S + 1, retry=bound) == 1
    assert await recheck(stack, later_s=2 * AFTER_S + 2, retry=bound) == 1
    assert await stack.pool.fetchval("SELECT status FROM message WHERE id = $1",
                                     message_id) == "sent"
    assert await recheck(stack, later_s=3 * AFTER_S + 3, retry=bound) == 1
    row = await stack.pool.fetchrow("SELECT status, delivery_status, last_error FROM message "
                                    "WHERE id = $1", message_id)
    assert (row["status"], row["delivery_status"]) == ("failed", "sending")
    assert row["last_error"].startswith("still pending at the provider")
    assert await recheck(stack, later_s=5 * AFTER_S, retry=bound) == 0, "asked no more"
    failed = [Envelope.model_validate_json(r["payload"]).event()
              for r in await stack.pool.fetch("SELECT payload FROM outbox_message")]
    assert [e.reason[:29] for e in failed if isinstance(e, NotificationFailed)] == [
        "still pending at the provider"]
    assert await statuses(stack, message_id) == ["sending"]
