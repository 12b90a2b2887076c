"""The citizen receives each letter the office owes, through a real SMTP server, once; the
SMTP answer says what became of each email (5xx permanent, 4xx temporary, no server technical)."""

from __future__ import annotations

import email
import email.policy
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from deploy.local.smtp_sink import SmtpSink
from services.notification.adapters.mailer import Mailer
from shared.contracts.events import (
    DossierApologyIssued,
    DossierWithdrawn,
    Envelope,
    NotificationFailed,
    NotificationStatusChanged,
    SupplementRequested,
)
from tests.integration.notification.support import handle, send, submit, tell
from tests.support import RecordingSmtpServer, free_port

pytestmark = pytest.mark.integration
CODE = "VTH-250123-0007"


@pytest.fixture
def sink(tmp_path: Path):
    with SmtpSink(tmp_path / "mail", free_port()) as running:
        yield running


async def test_supplement_request_and_apology_letter_reach_the_citizen_once(pool, sink) -> None:
    dossier_id = await submit(pool, CODE)
    supplement = SupplementRequested(dossier_code=CODE, missing=("to_khai",),
                                     reason="Tờ khai chưa có chữ ký", deadline=date(2025, 2, 20))
    apology = DossierApologyIssued(
        dossier_code=CODE, procedure_name="Ghi vào Sổ hộ tịch việc kết hôn",
        department_code="tp", reason="Cần xác minh với cơ quan nước ngoài",
        previous_due_date=date(2025, 2, 10), new_due_date=date(2025, 2, 17),
        original_due_date=date(2025, 2, 10), issued_on=date(2025, 2, 7), actor_role="approver",
    )
    for event in (supplement, apology):
        envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="processing",
                                 dossier_code=CODE)
        await handle(pool, event, envelope)
        await handle(pool, event, envelope)  # redelivered: no new message

    mailer = Mailer(host="127.0.0.1", port=sink.port, sender="Một Cửa <no-reply@motcua.local>")
    assert await send(pool, mailer, max_attempts=3) == 2
    assert await send(pool, mailer, max_attempts=3) == 0

    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sink.messages()]
    by_subject = {m["Subject"]: m.get_content() for m in messages}
    assert set(by_subject) == {
        f"Yêu cầu bổ sung hồ sơ {CODE}",
        f"Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ {CODE}",
    }
    letter = by_subject[f"Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ {CODE}"]
    assert "17/02/2025" in letter and "10/02/2025" in letter
    assert "Cần xác minh với cơ quan nước ngoài" in letter
    assert "Hạn bổ sung: 20/02/2025" in by_subject[f"Yêu cầu bổ sung hồ sơ {CODE}"]
    assert all(m["To"] == "binh@example.vn" for m in messages)
    rows = await pool.fetch("SELECT channel, template_id, template_version, delivery_status "
                            "FROM message ORDER BY template_id, channel")
    assert [tuple(r) for r in rows] == [
        ("email", "apology_letter", 1, "delivered"), ("sms", "apology_letter", 1, "created"),
        ("email", "supplement_requested", 1, "delivered"),
        ("sms", "supplement_requested", 1, "created")]
    changes = [Envelope.model_validate_json(r["payload"]).event()
               for r in await pool.fetch("SELECT payload FROM outbox_message ORDER BY id")]
    delivered = [c for c in changes if isinstance(c, NotificationStatusChanged)]
    assert sorted((c.template, c.status, c.template_version) for c in delivered) == [
        ("apology_letter", "delivered", 1), ("supplement_requested", "delivered", 1)]


async def test_an_unreachable_smtp_server_backs_off_then_gives_up(pool) -> None:
    dossier_id = await submit(pool, CODE, channels=("email",))
    await tell(pool, dossier_id, CODE, DossierWithdrawn(dossier_code=CODE))
    nobody = Mailer(host="127.0.0.1", port=free_port(), sender="x@motcua.local")

    assert await send(pool, nobody, max_attempts=2) == 1
    row = await pool.fetchrow("SELECT status, delivery_status, attempts, last_error, "
                              "next_attempt_at > now() AS later FROM message")
    assert (row["status"], row["delivery_status"], row["attempts"], row["later"]) == \
        ("pending", "created", 1, True)
    assert "Connection" in row["last_error"] or "refused" in row["last_error"]
    assert await send(pool, nobody, max_attempts=2) == 0, \
        "not retried before its back-off has passed"

    await pool.execute("UPDATE message SET next_attempt_at = now()")
    assert await send(pool, nobody, max_attempts=2) == 1
    row = await pool.fetchrow("SELECT status, delivery_status, provider_answer FROM message")
    assert (row["status"], row["delivery_status"]) == ("failed", "technical-failure")
    failed, changed = [Envelope.model_validate_json(r["payload"]).event()
                       for r in await pool.fetch("SELECT payload FROM outbox_message ORDER BY id")]
    assert failed == NotificationFailed(dossier_code=CODE, channel="email", template="withdrawn",
                                        attempts=2, reason=row["provider_answer"])
    assert (changed.status, changed.template, changed.template_version) == \
        ("technical-failure", "withdrawn", 1)


class BusyOrRefusing(RecordingSmtpServer):
    """Refuses ``refuse…`` for good (550, as the base does) and ``busy…`` for now (451)."""

    async def handle_RCPT(self, server, session, envelope, address: str, options) -> str:
        if address.startswith("busy"):
            return "451 4.2.1 mailbox busy, try later"
        return await super().handle_RCPT(server, session, envelope, address, options)


async def test_a_5xx_is_a_permanent_failure_at_once_and_a_4xx_temporary_after_retries(
        pool) -> None:
    addresses = ["an@example.vn", "refuse@example.vn", "busy@example.vn"]
    for n, address in enumerate(addresses):
        code = f"VTH-250123-{n:04d}"
        dossier_id = await submit(pool, code, email=address, channels=("email",))
        await tell(pool, dossier_id, code, DossierWithdrawn(dossier_code=code))
    handler, port = BusyOrRefusing(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    mailer = Mailer(host="127.0.0.1", port=port, sender="Một Cửa <no-reply@motcua.local>")
    try:
        assert await send(pool, mailer, max_attempts=2) == 3
        await pool.execute("UPDATE message SET next_attempt_at = now() WHERE status = 'pending'")
        assert await send(pool, mailer, max_attempts=2) == 1
    finally:
        mailer.close()
        controller.stop()
    assert handler.delivered == ["an@example.vn"], "nothing sent twice, nothing refused sent"
    rows = {r["recipient"]: r for r in await pool.fetch(
        "SELECT recipient, status, delivery_status, attempts, provider_answer FROM message")}
    assert (rows["an@example.vn"]["delivery_status"], rows["an@example.vn"]["status"]) == \
        ("delivered", "sent")
    refused = rows["refuse@example.vn"]
    assert (refused["delivery_status"], refused["attempts"]) == ("permanent-failure", 0)
    assert "550" in refused["provider_answer"] and "@" not in refused["provider_answer"]
    busy = rows["busy@example.vn"]
    assert busy["delivery_status"] == "temporary-failure" and "451" in busy["provider_answer"]
    history = await pool.fetch(
        """SELECT m.recipient, c.status FROM message_status_change c JOIN message m
           ON m.id = c.message_id ORDER BY m.recipient, c.at""")
    assert [(h["recipient"], h["status"]) for h in history] == [
        ("an@example.vn", "created"), ("an@example.vn", "delivered"),
        ("busy@example.vn", "created"), ("busy@example.vn", "temporary-failure"),
        ("refuse@example.vn", "created"), ("refuse@example.vn", "permanent-failure")]
