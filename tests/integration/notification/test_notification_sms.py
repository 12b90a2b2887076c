"""SMS through the eSMS-shaped adapter against the sandbox gateway, over real HTTP: acceptance
(CodeResult 100) is only ``sending``, the delivery report (a GET to the secret-token path)
makes it ``delivered``; each error code maps to permanent, technical or temporary; a resend
with the same RequestId is refused (124) and texts nobody twice; duplicate and forged reports
change nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from services.notification import effects
from shared.contracts.events import DossierWithdrawn, Envelope, NotificationStatusChanged
from shared.runtime.effects import Retry
from tests.integration.notification.support import (
    REPORT_TOKEN,
    Stack,
    drain,
    notification_stack,
    submit,
    tell,
)

pytestmark = pytest.mark.integration
_N = iter(range(1, 10_000))


def code() -> str:
    return f"VTH-250201-{next(_N):04d}"


@pytest.fixture
async def stack(pool) -> AsyncIterator[Stack]:
    async with notification_stack(pool, report_delay_s=5) as running:
        yield running


async def withdrawn_sms(stack: Stack, phone: str = "0912345678") -> uuid.UUID:
    """A dossier whose applicant chose SMS only, withdrawn: the id of its one SMS."""
    dossier = code()
    dossier_id = await submit(stack.pool, dossier, phone=phone, channels=("sms",))
    await tell(stack.pool, dossier_id, dossier, DossierWithdrawn(dossier_code=dossier))
    return await stack.pool.fetchval("SELECT id FROM message WHERE dossier_code = $1", dossier)


async def status_events(stack: Stack, message_id: uuid.UUID) -> list[str]:
    events = [Envelope.model_validate_json(r["payload"]).event()
              for r in await stack.pool.fetch("SELECT payload FROM outbox_message ORDER BY id")]
    return [e.status for e in events
            if isinstance(e, NotificationStatusChanged) and e.message_id == message_id]


async def history(stack: Stack, message_id: uuid.UUID) -> list[str]:
    rows = await stack.pool.fetch("SELECT status FROM message_status_change "
                                  "WHERE message_id = $1 ORDER BY at", message_id)
    return [r["status"] for r in rows]


async def test_acceptance_is_only_sending_and_the_later_report_says_delivered(stack) -> None:
    message_id = await withdrawn_sms(stack)
    assert await stack.send_sms() == 1
    assert await stack.status(message_id) == "sending"
    [request] = stack.sandbox.view("0912345678")["requests"]
    assert request["request_id"] == str(message_id), "the RequestId is the message's id"
    assert request["code"] == "100" and request["is_unicode"] == "0"
    assert request["content"].isascii() and "da duoc rut" in request["content"]
    segments, provider_id = await stack.pool.fetchrow(
        "SELECT segments, provider_id FROM message WHERE id = $1", message_id)
    assert segments == 1 and provider_id == request["sms_id"]

    assert await stack.sandbox.advance(4) == 0, "no report before the gateway's delay"
    assert await stack.status(message_id) == "sending"
    assert await stack.sandbox.advance(2) == 1
    assert await stack.status(message_id) == "delivered"
    assert await history(stack, message_id) == ["created", "sending", "delivered"]
    assert await status_events(stack, message_id) == ["sending", "delivered"]


async def test_a_duplicate_report_answers_200_and_changes_nothing(stack) -> None:
    await stack.sandbox_http.put("/sms/_sandbox/esms/switches",
                                 json={"duplicate_reports": True, "report_delay_s": 1})
    message_id = await withdrawn_sms(stack)
    assert await stack.send_sms() == 1
    assert await stack.sandbox.advance(1) == 2
    reports = stack.sandbox.view("0912345678")["reports"]
    assert [r["answers"] for r in reports] == [["200"], ["200"]], "both taken, none retried"
    assert await status_events(stack, message_id) == ["sending", "delivered"]
    assert await history(stack, message_id) == ["created", "sending", "delivered"]


@pytest.mark.parametrize(("phone", "final"), [("0912340004", "permanent-failure"),
                                              ("0912340002", "sending")])
async def test_a_rejected_report_fails_the_sms_and_a_waiting_one_keeps_it_sending(
        stack, phone: str, final: str) -> None:
    message_id = await withdrawn_sms(stack, phone)
    assert await stack.send_sms() == 1
    assert await stack.sandbox.advance(6) == 1
    assert await stack.status(message_id) == final


@pytest.mark.parametrize(("phone", "code", "status"), [
    ("0912340108", "108", "permanent-failure"),
    ("0912340099", "99", "permanent-failure"),
    ("0912340104", "104", "technical-failure"),
    ("0912340146", "146", "technical-failure"),
])
async def test_a_refusal_ends_the_sms_at_once_as_its_code_says(stack, phone: str, code: str,
                                                               status: str) -> None:
    message_id = await withdrawn_sms(stack, phone)
    assert await stack.send_sms(max_attempts=3) == 1, "not retried"
    row = await stack.pool.fetchrow("SELECT status, delivery_status, attempts, provider_answer "
                                    "FROM message WHERE id = $1", message_id)
    assert (row["status"], row["delivery_status"]) == ("failed", status)
    assert row["provider_answer"].startswith(f"CodeResult {code}:")
    assert [r["code"] for r in stack.sandbox.view(phone)["requests"]] == [code]
    assert await status_events(stack, message_id) == [status]


async def test_a_low_balance_is_retried_then_a_temporary_failure(stack) -> None:
    message_id = await withdrawn_sms(stack, "0912340103")
    assert await stack.send_sms(max_attempts=2) == 1
    row = await stack.pool.fetchrow("SELECT status, delivery_status, attempts FROM message "
                                    "WHERE id = $1", message_id)
    assert tuple(row) == ("pending", "created", 1)
    await stack.pool.execute("UPDATE message SET next_attempt_at = now()")
    assert await stack.send_sms(max_attempts=2) == 1
    assert await stack.status(message_id) == "temporary-failure"
    assert [r["code"] for r in stack.sandbox.view("0912340103")["requests"]] == ["103", "103"]


async def test_a_gateway_that_is_down_is_retried_with_the_same_request_id(stack) -> None:
    message_id = await withdrawn_sms(stack, "0912345111")
    await stack.sandbox_http.put("/sms/_sandbox/messages/0912345111",
                                 json={"answers": ["error"]})
    assert await stack.send_sms() == 1
    assert await stack.status(message_id) == "created"
    await stack.pool.execute("UPDATE message SET next_attempt_at = now()")
    assert await stack.send_sms() == 1
    assert await stack.status(message_id) == "sending"
    assert [r["request_id"] for r in stack.sandbox.view("0912345111")["requests"]] == \
        [str(message_id)]


async def test_a_resend_is_refused_as_a_duplicate_and_the_report_still_finds_it(stack) -> None:
    """The first send reached eSMS but its commit was lost (a crash): the resend's 124 counts
    as accepted, and the report, addressed by the message's id, completes it."""
    message_id = await withdrawn_sms(stack, "0912345222")
    callback = f"{stack.reports_url}/{message_id}"
    body = await stack.pool.fetchval("SELECT body FROM message WHERE id = $1", message_id)
    first = await stack.gateway.send(request_id=str(message_id), phone="0912345222",
                                     content=body, unicode=False, callback_url=callback)
    assert first.code == "100"
    assert await stack.send_sms() == 1
    assert [r["code"] for r in stack.sandbox.view("0912345222")["requests"]] == ["100", "124"]
    assert await stack.status(message_id) == "sending"
    assert await stack.sandbox.advance(6) == 1, "one SMS, one report"
    assert await stack.status(message_id) == "delivered"
    assert await stack.pool.fetchval("SELECT provider_id FROM message WHERE id = $1",
                                     message_id) == first.sms_id


async def test_a_forged_report_is_refused_and_an_unknown_message_is_not_found(stack) -> None:
    message_id = await withdrawn_sms(stack)
    assert await stack.send_sms() == 1
    forged = await stack.http.get(f"/v1/sms/delivery-reports/guessed/{message_id}",
                                  params={"SMSID": "x", "SendStatus": "4"})
    assert forged.status_code == 404
    unknown = await stack.http.get(f"/v1/sms/delivery-reports/{REPORT_TOKEN}/{uuid.uuid4()}",
                                   params={"SMSID": "x", "SendStatus": "5"})
    assert unknown.status_code == 404
    incomplete = await stack.http.get(f"/v1/sms/delivery-reports/{REPORT_TOKEN}/{message_id}")
    assert incomplete.status_code == 422
    assert await stack.status(message_id) == "sending"
    late = await stack.http.get(f"/v1/sms/delivery-reports/{REPORT_TOKEN}/{message_id}",
                                params={"SMSID": "x", "SendStatus": "5"})
    assert late.json() == {"received": True, "moved": True}
    backwards = await stack.http.get(f"/v1/sms/delivery-reports/{REPORT_TOKEN}/{message_id}",
                                     params={"SMSID": "x", "SendStatus": "4"})
    assert backwards.json() == {"received": True, "moved": False}
    assert await stack.status(message_id) == "delivered"


async def test_a_report_not_taken_is_retried_five_times_then_dropped(stack) -> None:
    message_id = await withdrawn_sms(stack, "0912345333")
    wrong = effects.sms(stack.gateway, Retry(),
                        callback_url=f"{stack.edge_url}/v1/sms/delivery-reports/stale-token")
    assert await drain(stack.pool, wrong) == 1
    assert await stack.sandbox.advance(6) == 1
    for _ in range(4):
        assert await stack.sandbox.advance(5) == 1
    assert await stack.sandbox.advance(5) == 0, "no sixth try"
    [report] = stack.sandbox.view("0912345333")["reports"]
    assert report["answers"] == ["404"] * 5
    assert await stack.status(message_id) == "sending"


async def test_without_a_report_the_sms_stays_sending(stack) -> None:
    await stack.sandbox_http.put("/sms/_sandbox/esms/switches", json={"drop_reports": True})
    message_id = await withdrawn_sms(stack)
    assert await stack.send_sms() == 1
    assert await stack.sandbox.advance(60) == 0
    assert await stack.status(message_id) == "sending"
