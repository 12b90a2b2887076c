"""A fee that could not be collected reaches the citizen as one Vietnamese email: the
PaymentFailed event through notification's real consumer table, a real SMTP server."""

from __future__ import annotations

import unicodedata
import uuid
from decimal import Decimal

import pytest
from faststream.kafka import KafkaBroker

from services.notification.consumers import subscriptions
from services.notification.deps import NotificationDeps
from shared.contracts.events import Envelope, NotificationSent, PaymentFailed
from shared.runtime.outbox import Transactions
from tests.integration.notification.support import WRITING, send_to_a_server
from tests.messaging import event_consumer, record

pytestmark = pytest.mark.integration
CODE = "VTH-250123-0099"


async def test_a_failed_payment_is_told_to_the_citizen_once(pool) -> None:
    dossier_id = uuid.uuid4()
    await pool.execute(
        """INSERT INTO contact (dossier_id, dossier_code, full_name, email, phone, procedure_name)
           VALUES ($1, $2, 'Nguyễn Thị Hồng Nhung', 'nhung@example.vn', '0912345678',
                   'Đăng ký kết hôn')""", dossier_id, CODE)
    consumer = event_consumer("notification", subscriptions(NotificationDeps(
        Transactions(pool, "notification"), (), WRITING)), pool, KafkaBroker("127.0.0.1:1"))
    failed = PaymentFailed(dossier_code=CODE, payment_id=uuid.uuid4(), amount=Decimal(1_250_000),
                           reason="ReadTimeout: ", attempts=10)
    envelope = Envelope.wrap(failed, dossier_id=dossier_id, producer="payment",
                             dossier_code=CODE)
    for _ in range(2):  # redelivered: still one email
        await consumer.process(record("payment.events", envelope.model_dump_json().encode()))

    received = await send_to_a_server(pool, 1)
    [(_, recipients, message)] = received
    assert recipients == ["nhung@example.vn"]
    assert message["Subject"] == f"Thanh toán phí, lệ phí hồ sơ {CODE} không thành công"
    body = message.get_content()
    assert body.startswith("Kính gửi Ông/Bà Nguyễn Thị Hồng Nhung,")
    assert "1.250.000 đồng" in body and "«Đăng ký kết hôn» không thành công" in body
    assert "liên hệ Bộ phận Một cửa" in body
    assert "ReadTimeout" not in body, "the technical reason is not the citizen's business"
    assert unicodedata.is_normalized("NFC", body)
    events = [Envelope.model_validate_json(row["payload"]).event()
              for row in await pool.fetch("SELECT payload FROM outbox_message ORDER BY id")]
    assert [e for e in events if isinstance(e, NotificationSent)] == [NotificationSent(
        dossier_code=CODE, channel="email", template="fee_payment_failed",
        recipient="n***@example.vn")]
