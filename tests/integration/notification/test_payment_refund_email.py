"""A refunded fee reaches the citizen as one Vietnamese email, through a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from deploy.local.smtp_sink import SmtpSink
from services.notification.adapters.mailer import Mailer
from shared.contracts.events import Envelope, PaymentRefunded
from tests.integration.notification.support import handle, send
from tests.support import free_port

pytestmark = pytest.mark.integration
CODE = "VTH-250123-0042"


async def test_a_refund_is_told_to_the_citizen_once(pool, tmp_path: Path) -> None:
    dossier_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone, procedure_name)
           VALUES ($1, $2, 'Lê Thị Cúc', 'cuc@example.vn', '0912345678',
                   'Ghi vào Sổ hộ tịch việc kết hôn')""",
        dossier_id, CODE,
    )
    refunded = PaymentRefunded(dossier_code=CODE, payment_id=uuid.uuid4(), refund_id=uuid.uuid4(),
                               amount=Decimal(75000), gateway_refund_id="SBX-REF-1",
                               cause="withdrawn")
    envelope = Envelope.wrap(refunded, dossier_id=dossier_id, producer="payment",
                             dossier_code=CODE)
    for _ in range(2):  # redelivered: still one email
        await handle(pool, refunded, envelope)

    with SmtpSink(tmp_path / "mail", free_port()) as sink:
        mailer = Mailer(host="127.0.0.1", port=sink.port, sender="no-reply@motcua.local")
        assert await send(pool, mailer, max_attempts=3) == 1
        [path] = sink.messages()
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "cuc@example.vn"
    assert message["Subject"] == f"Hoàn trả phí, lệ phí hồ sơ {CODE}"
    body = message.get_content()
    assert "Kính gửi Ông/Bà Lê Thị Cúc" in body
    assert "75.000 đồng" in body and "được hoàn trả" in body
