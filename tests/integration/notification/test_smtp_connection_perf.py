"""Notification keeps one SMTP connection for all its emails (issue 6: one connection per email
cost more than the email), and still delivers when the server has dropped that connection.
A real SMTP server (aiosmtpd) on a free port sees each conversation."""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller

from services.notification.adapters.mailer import Mailer
from tests.support import free_port

pytestmark = pytest.mark.integration


class _Recorder:
    """Each delivered message with the client address it came from (one per connection)."""

    def __init__(self) -> None:
        self.delivered: list[tuple[Any, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.delivered.append((session.peer, envelope.rcpt_tos[0]))
        return "250 OK"


def _server(recorder: _Recorder, port: int) -> Controller:
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


async def _send(mailer: Mailer, n: int) -> None:
    await mailer.send(message_id=f"m-{n}", to=f"cong-dan-{n}@example.vn",
                      subject="Hồ sơ đã được tiếp nhận", body="Kính gửi ông/bà")


async def test_emails_share_one_connection_and_a_dropped_one_is_reopened() -> None:
    recorder, port = _Recorder(), free_port()
    server = _server(recorder, port)
    mailer = Mailer(host="127.0.0.1", port=port, sender="no-reply@motcua.local")
    try:
        for n in range(3):
            await _send(mailer, n)
        server.stop()  # the server goes away with our open connection, as idle ones do
        server = _server(recorder, port)
        for n in range(3, 5):
            await _send(mailer, n)
    finally:
        mailer.close()
        server.stop()

    assert [to for _, to in recorder.delivered] == [f"cong-dan-{n}@example.vn" for n in range(5)]
    peers = [peer for peer, _ in recorder.delivered]
    assert len(set(peers[:3])) == 1 and len(set(peers[3:])) == 1 and peers[0] != peers[3]


async def test_a_server_that_is_down_fails_the_send() -> None:
    mailer = Mailer(host="127.0.0.1", port=free_port(), sender="no-reply@motcua.local")
    with pytest.raises(OSError):
        await _send(mailer, 0)
