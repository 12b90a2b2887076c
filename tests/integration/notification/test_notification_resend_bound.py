"""At most one resend per crash: a sender process killed with SIGKILL right after the provider
took a message, before its mark committed, resends that message only (the others before it
are marked, the ones after it untouched), with the same Message-ID or RequestId; eSMS refuses
the repeated RequestId (124), so the phone gets one text."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from services.notification.adapters.mailer import Mailer
from shared.contracts.events import DossierWithdrawn
from tests.integration.notification.support import (
    Stack,
    notification_stack,
    send,
    submit,
    tell,
)
from tests.support import smtp_server

pytestmark = pytest.mark.integration
ROOT = __file__.rsplit("/tests/", 1)[0]


@pytest.fixture
async def stack(pool) -> AsyncIterator[Stack]:
    async with notification_stack(pool, report_delay_s=1) as running:
        yield running


async def three_withdrawn(pool, channel: str) -> list[str]:
    codes = [f"VTH-250301-{n:04d}" for n in range(1, 4)]
    for n, dossier in enumerate(codes):
        dossier_id = await submit(pool, dossier, phone=f"091234500{n}",
                                  email=f"cong.dan{n}@example.vn", channels=(channel,))
        await tell(pool, dossier_id, dossier, DossierWithdrawn(dossier_code=dossier))
    return codes


async def crash_after_the_second(dsn: str, channel: str, target: str, *rest: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.notification.crashing_sender", dsn, channel,
        target, "2", *rest, cwd=ROOT)
    assert await asyncio.wait_for(child.wait(), 60) == -signal.SIGKILL


async def test_a_killed_email_sender_resends_only_the_email_in_flight(pool, database_url):
    await three_withdrawn(pool, "email")
    with smtp_server() as (server, port):
        await crash_after_the_second(database_url, "email", str(port))
        assert len(server.received) == 2
        assert await pool.fetchval("SELECT count(*) FROM message WHERE status = 'sent'") == 1
        mailer = Mailer(host="127.0.0.1", port=port, sender="Một Cửa <no-reply@motcua.local>")
        try:
            assert await send(pool, mailer) == 2, "the one in flight and the one never tried"
        finally:
            mailer.close()
    ids = Counter(message["Message-ID"] for _, _, message in server.received)
    assert sorted(ids.values()) == [1, 1, 2], "one email twice, with the same Message-ID"
    assert await pool.fetchval("SELECT count(*) FROM message WHERE delivery_status = "
                               "'delivered'") == 3


async def test_a_killed_sms_sender_texts_nobody_twice(stack, database_url) -> None:
    await three_withdrawn(stack.pool, "sms")
    await crash_after_the_second(database_url, "sms", f"{stack.gateway._client.base_url}",
                                 stack.reports_url)
    assert await stack.send_sms() == 2
    requests = stack.sandbox.view(None)["requests"]
    by_id: dict[str, list[str]] = {}
    for request in requests:
        by_id.setdefault(request["request_id"], []).append(request["code"])
    assert sorted(by_id.values()) == [["100"], ["100"], ["100", "124"]]
    assert len(stack.sandbox.accepted) == 3, "each phone texted once"
    assert await stack.sandbox.advance(2) == 3
    assert await stack.pool.fetchval("SELECT count(*) FROM message WHERE delivery_status = "
                                     "'delivered'") == 3
