"""What the mailer puts on the wire, read back by the stdlib's MIME parser: Vietnamese subjects,
bodies and sender names arrive intact, a batch's emails each have their own outcome, and a line
break in a header never becomes a header of its own. A real SMTP server (aiosmtpd) receives."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from services.notification.adapters.mailer import Email, Mailer
from tests.support import RecordingSmtpServer, smtp_server

pytestmark = pytest.mark.integration

SENDER = "Một Cửa <no-reply@motcua.local>"
LONG_SUBJECT = "Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ VTH-250123-0007 (mẫu số 04)"
BODY = ("Kính gửi Ông/Bà Nguyễn Thị Hồng Nhung,\n\n"
        "Hồ sơ VTH-250123-0007 về thủ tục «Đăng ký khai sinh» đã được tiếp nhận.\n"
        + "Ngày hẹn trả kết quả: 10/02/2025. " * 8 + "\n\nTrân trọng,\nBộ phận Một cửa")


@pytest.fixture
def server() -> Iterator[tuple[RecordingSmtpServer, int]]:
    with smtp_server() as running:
        yield running


async def test_vietnamese_text_arrives_as_written(server) -> None:
    handler, port = server
    mailer = Mailer(host="127.0.0.1", port=port, sender=SENDER)
    emails = [
        Email("3f2c9a1e-0001", "nhung@example.vn", LONG_SUBJECT, BODY),
        Email("3f2c9a1e-0002", "plain@example.vn", "Plain ASCII subject", "Plain body\nline 2"),
        # A display name: RFC 2047-encoded in the header, the bare address in the envelope.
        Email("3f2c9a1e-0003", "Trần Văn Bình <binh@example.vn>", "Hồ sơ đã có kết quả", BODY),
    ]
    try:
        assert await mailer.send_many(emails) == [None, None, None]
    finally:
        mailer.close()

    assert len(handler.received) == 3
    for sent, (mail_from, _, message) in zip(emails, handler.received, strict=True):
        assert mail_from == "no-reply@motcua.local"
        assert message["Subject"] == sent.subject
        assert message["From"].addresses[0].display_name == "Một Cửa"
        assert message["From"].addresses[0].addr_spec == "no-reply@motcua.local"
        assert message["Message-ID"] == f"<{sent.message_id}@motcua.local>"
        sent_at = parsedate_to_datetime(message["Date"]).replace(tzinfo=UTC)  # "-0000": UTC
        assert abs(datetime.now(UTC) - sent_at) < timedelta(minutes=5)
        assert message.get_content_type() == "text/plain"
        assert message.get_content_charset() == "utf-8"
        assert message.get_content() == sent.body
        assert not message.defects
    assert [rcpt for _, rcpt, _ in handler.received] == [
        ["nhung@example.vn"], ["plain@example.vn"], ["binh@example.vn"]]
    assert handler.received[2][2]["To"].addresses[0].display_name == "Trần Văn Bình"
    # As sent: 7-bit headers (RFC 2047 words), folded within 78 characters a line.
    for raw in handler.raw:
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii()
        assert all(len(line) <= 78 for line in head.split(b"\r\n"))


async def test_a_refused_recipient_fails_its_email_only(server) -> None:
    handler, port = server
    mailer = Mailer(host="127.0.0.1", port=port, sender=SENDER)
    emails = [Email(f"m-{n}", to, "Hồ sơ đã được tiếp nhận", BODY)
              for n, to in enumerate(["a@example.vn", "refuse@example.vn", "c@example.vn"])]
    try:
        outcomes = await mailer.send_many(emails)
        await mailer.send(message_id="m-3", to="d@example.vn", subject="Sau đó", body=BODY)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            await mailer.send(message_id="m-4", to="refuse@example.vn", subject="x", body="y")
    finally:
        mailer.close()

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], smtplib.SMTPRecipientsRefused)
    assert [rcpt for _, rcpt, _ in handler.received] == [
        ["a@example.vn"], ["c@example.vn"], ["d@example.vn"]]


async def test_a_line_break_in_a_header_is_refused_not_sent(server) -> None:
    handler, port = server
    mailer = Mailer(host="127.0.0.1", port=port, sender=SENDER)
    try:
        outcomes = await mailer.send_many([
            Email("m-0", "a@example.vn\r\nBcc: victim@example.vn", "Hồ sơ", BODY),
            Email("m-1", "b@example.vn", "Hồ sơ\r\nBcc: victim@example.vn", BODY),
            Email("m-2", "c@example.vn", "Hồ sơ", BODY),
        ])
    finally:
        mailer.close()

    assert isinstance(outcomes[0], ValueError) and isinstance(outcomes[1], ValueError)
    assert outcomes[2] is None
    assert [rcpt for _, rcpt, _ in handler.received] == [["c@example.vn"]]
    assert handler.received[0][2]["Bcc"] is None


async def test_a_server_that_never_answers_costs_one_timeout_per_batch_not_one_per_email(
) -> None:
    """It takes connections and never greets: the first email waits out the timeout, the rest
    of the batch fails with it at once (and is retried later by the drain, as any failure)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept_forever() -> None:
        with contextlib.suppress(OSError):  # the listener is closed at the end
            while True:
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    mailer = Mailer(host="127.0.0.1", port=listener.getsockname()[1], sender=SENDER,
                    timeout_s=0.5)
    try:
        outcomes = await mailer.send_many(
            [Email(f"m-{n}", f"{n}@example.vn", "Hồ sơ", BODY) for n in range(5)])
    finally:
        mailer.close()
        listener.close()
        thread.join(5)
        for connection in accepted:
            connection.close()

    assert all(isinstance(outcome, smtplib.SMTPServerDisconnected) for outcome in outcomes)
    assert len(outcomes) == 5
    assert len(accepted) == 1  # one connection tried, not five
