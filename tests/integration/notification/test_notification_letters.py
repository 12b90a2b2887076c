"""The citizen receives each letter the office owes, through a real SMTP server, once."""

from __future__ import annotations

import email
import email.policy
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from deploy.local.smtp_sink import SmtpSink
from services.notification.adapters.mailer import Mailer
from services.notification.handlers import on_dossier_submitted
from shared.contracts.events import (
    Applicant,
    DossierApologyIssued,
    DossierSubmitted,
    DossierWithdrawn,
    Envelope,
    NotificationFailed,
    SupplementRequested,
)
from tests.integration.notification.support import handle, send
from tests.support import RecordingSmtpServer, free_port, smtp_server

pytestmark = pytest.mark.integration
CODE = "VTH-250123-0007"


@pytest.fixture
def sink(tmp_path: Path):
    with SmtpSink(tmp_path / "mail", free_port()) as running:
        yield running


async def test_supplement_request_and_apology_letter_reach_the_citizen_once(pool, sink) -> None:
    dossier_id = uuid.uuid4()
    submitted = DossierSubmitted(
        dossier_code=CODE, portal="p", portal_submission_id="1", agency_code="VTH",
        procedure_code="2.002189", procedure_name="Ghi vào Sổ hộ tịch việc kết hôn",
        department_code="tp", catalog_version="v",
        applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567",
                            phone="0912345678", email="binh@example.vn"),
        return_method="online", fee=Decimal(0), committed_days=7,
        received_at=datetime(2025, 1, 23, 3, tzinfo=UTC), due_date=date(2025, 2, 10),
    )
    await handle(pool, submitted, Envelope.wrap(submitted, dossier_id=dossier_id,
                                                producer="intake"), on_dossier_submitted)
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
        await handle(pool, event, envelope)  # redelivered: no new email

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


async def test_an_unreachable_smtp_server_backs_off_then_gives_up(pool) -> None:
    dossier_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone, procedure_name)
           VALUES ($1, $2, 'Lê Thị Cúc', 'cuc@example.vn', '0912345678', 'Thủ tục')""",
        dossier_id, CODE,
    )
    withdrawn = DossierWithdrawn(dossier_code=CODE)
    envelope = Envelope.wrap(withdrawn, dossier_id=dossier_id, producer="processing",
                             dossier_code=CODE)
    await handle(pool, withdrawn, envelope)
    nobody = Mailer(host="127.0.0.1", port=free_port(), sender="x@motcua.local")

    assert await send(pool, nobody, max_attempts=2) == 1
    row = await pool.fetchrow("SELECT status, attempts, last_error, next_attempt_at > now() "
                              "AS later FROM email_message")
    assert (row["status"], row["attempts"], row["later"]) == ("pending", 1, True)
    assert "Connection" in row["last_error"] or "refused" in row["last_error"]
    assert await send(pool, nobody, max_attempts=2) == 0, \
        "not retried before its back-off has passed"

    await pool.execute("UPDATE email_message SET next_attempt_at = now()")
    assert await send(pool, nobody, max_attempts=2) == 1
    assert await pool.fetchval("SELECT status FROM email_message") == "failed"
    [failed] = await pool.fetch("SELECT payload FROM outbox_message")
    assert Envelope.model_validate_json(failed["payload"]).event() == NotificationFailed(
        dossier_code=CODE, channel="email", template="withdrawn", attempts=2,
        reason=await pool.fetchval("SELECT last_error FROM email_message"))


async def test_a_refused_email_is_retried_while_the_rest_of_its_batch_is_sent(pool) -> None:
    addresses = ["an@example.vn", "refuse@example.vn", "chi@example.vn"]
    dossiers = {address: uuid.uuid4() for address in addresses}
    for n, (address, dossier_id) in enumerate(dossiers.items()):
        await pool.execute(
            """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone,
                                    procedure_name)
               VALUES ($1, $2, 'Lê Thị Cúc', $3, '0912345678', 'Đăng ký khai sinh')""",
            dossier_id, f"VTH-250123-{n:04d}", address,
        )
        withdrawn = DossierWithdrawn(dossier_code=f"VTH-250123-{n:04d}")
        await handle(pool, withdrawn, Envelope.wrap(withdrawn, dossier_id=dossier_id,
                                                    producer="processing",
                                                    dossier_code=f"VTH-250123-{n:04d}"))
    with smtp_server() as (server, port):
        await _send_the_batch_and_its_retry(pool, server, port, dossiers)
    assert server.delivered == ["an@example.vn", "chi@example.vn"], "nothing sent twice"
    assert await pool.fetchval("SELECT attempts FROM email_message WHERE status = 'pending'") == 2
    assert await pool.fetchval("SELECT count(*) FROM outbox_message") == 2


async def _send_the_batch_and_its_retry(pool, server: RecordingSmtpServer, port: int,
                                        dossiers: dict[str, uuid.UUID]) -> None:
    mailer = Mailer(host="127.0.0.1", port=port, sender="Một Cửa <no-reply@motcua.local>")
    try:
        assert await send(pool, mailer, max_attempts=3) == 3
        assert server.delivered == ["an@example.vn", "chi@example.vn"]
        rows = {r["to_address"]: r for r in await pool.fetch(
            """SELECT to_address, status, attempts, last_error, sent_at IS NOT NULL AS stamped,
                      next_attempt_at > now() AS later FROM email_message""")}
        for address in ("an@example.vn", "chi@example.vn"):
            assert (rows[address]["status"], rows[address]["attempts"],
                    rows[address]["stamped"]) == ("sent", 0, True)
        refused = rows["refuse@example.vn"]
        assert (refused["status"], refused["attempts"], refused["stamped"], refused["later"]) \
            == ("pending", 1, False, True)
        assert "SMTPRecipientsRefused" in refused["last_error"]
        assert "550" in refused["last_error"] and "@" not in refused["last_error"]
        events = await pool.fetch("SELECT topic, key, payload FROM outbox_message ORDER BY id")
        assert [(e["topic"], e["key"]) for e in events] == [
            ("notification.events", str(dossiers["an@example.vn"])),
            ("notification.events", str(dossiers["chi@example.vn"])),
        ]
        assert all(json.loads(e["payload"])["payload"]["template"] == "withdrawn"
                   for e in events)

        assert await send(pool, mailer, max_attempts=3) == 0
        await pool.execute("UPDATE email_message SET next_attempt_at = now() "
                           "WHERE status = 'pending'")
        assert await send(pool, mailer, max_attempts=3) == 1
    finally:
        mailer.close()
