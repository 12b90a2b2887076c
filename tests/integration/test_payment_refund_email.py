"""A refunded fee reaches the citizen as one Vietnamese email, through a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from deploy.local.smtp_sink import SmtpSink
from services.notification.handlers import send_pending_emails
from services.notification.mailer import Mailer
from services.notification.refunds import on_payment_refunded
from shared.contracts.events import Envelope, PaymentRefunded
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.runtime.outbox import UnitOfWork
from tests.support import free_port

pytestmark = pytest.mark.integration
MIGRATIONS = Path(__file__).parents[2] / "services" / "notification" / "migrations"
CODE = "VTH-250123-0042"


@pytest.fixture
async def pool(database_url: str):
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, MIGRATIONS))
    pool = await create_pool(database_url)
    yield pool
    await pool.close()


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
        async with UnitOfWork(pool, producer="test") as uow:
            await on_payment_refunded(refunded, envelope, uow)
            await uow.commit()

    with SmtpSink(tmp_path / "mail", free_port()) as sink:
        mailer = Mailer(host="127.0.0.1", port=sink.port, sender="no-reply@motcua.local")
        assert await send_pending_emails(pool, mailer, batch_size=20, max_attempts=3) == 1
        [path] = sink.messages()
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "cuc@example.vn"
    assert message["Subject"] == f"Hoàn trả phí, lệ phí hồ sơ {CODE}"
    body = message.get_content()
    assert "Kính gửi Ông/Bà Lê Thị Cúc" in body
    assert "75.000 đồng" in body and "được hoàn trả" in body
