"""Every letter in the table renders Vietnamese text in NFC, with the dossier's code in its
subject; amounts group thousands with dots and keep the sentence's commas."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date
from decimal import Decimal

import pytest

from services.notification.domain import Contact
from services.notification.templates import LETTERS
from shared.contracts import events as ev
from shared.contracts.status import DossierStatus

CODE = "VTH-250123-0007"
CONTACT = Contact(dossier_code=CODE, full_name="Trần Văn Bình", email="binh@example.vn",
                  procedure_name="Đăng ký khai sinh")
EVENTS: list[ev.Event] = [
    ev.DossierAccepted(dossier_code=CODE, department_code="tp", fee=Decimal(75000),
                    due_date=date(2025, 2, 10), return_method="online",
                    status=DossierStatus.AWAITING_FEE),
    ev.DossierDecided(dossier_code=CODE, outcome="refused", reason="Thiếu giấy tờ",
                   decided_by="u1", return_method="postal"),
    ev.SupplementRequested(dossier_code=CODE, missing=("to_khai",), reason="Chưa ký",
                        deadline=date(2025, 2, 20)),
    ev.DossierApologyIssued(dossier_code=CODE, procedure_name="Đăng ký khai sinh",
                         department_code="tp", reason="Cần xác minh",
                         previous_due_date=date(2025, 2, 10), new_due_date=date(2025, 2, 17),
                         original_due_date=date(2025, 2, 10), issued_on=date(2025, 2, 7),
                         actor_role="approver"),
    ev.DossierRefusedAtIntake(dossier_code=CODE, reason="Sai thủ tục", actor_role="intake"),
    ev.DossierProcessingStopped(dossier_code=CODE, reason="Không bổ sung", actor_role="approver"),
    ev.DossierWithdrawn(dossier_code=CODE),
    ev.PaymentRefunded(dossier_code=CODE, payment_id=uuid.uuid4(), refund_id=uuid.uuid4(),
                    amount=Decimal(75000), gateway_refund_id="R", cause="withdrawn"),
    ev.PaymentFailed(dossier_code=CODE, payment_id=uuid.uuid4(), amount=Decimal(75000),
                  reason="declined by the gateway", attempts=1),
    ev.FeePaymentDue(dossier_code=CODE, department_code="tp", amount=Decimal(75000),
                     fee_due_date=date(2025, 2, 14)),
    ev.PaymentRequested(dossier_code=CODE, payment_id=uuid.uuid4(), amount=Decimal(75000),
                        pay_url="http://127.0.0.1:8003/v1/pay/abc"),
]


def test_every_letter_has_an_event_here() -> None:
    assert {type(event) for event in EVENTS} == set(LETTERS)


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_a_letter_is_vietnamese_in_nfc_and_names_the_dossier(event: ev.Event) -> None:
    rendered = LETTERS[type(event)].render(event, CONTACT)
    assert CODE in rendered.subject
    assert rendered.body.startswith("Kính gửi Ông/Bà Trần Văn Bình,\n\n")
    assert rendered.body.endswith("Trân trọng,\nBộ phận Một cửa")
    for text in (rendered.subject, rendered.body):
        assert unicodedata.is_normalized("NFC", text)


def test_the_fee_line_groups_thousands_with_dots_and_keeps_its_commas() -> None:
    rendered = LETTERS[ev.DossierAccepted].render(EVENTS[0], CONTACT)
    assert "Phí, lệ phí: 75.000 đồng, vui lòng thanh toán trực tuyến." in rendered.body


def test_the_payment_link_letter_carries_the_link_and_only_when_there_is_one() -> None:
    letter = LETTERS[ev.PaymentRequested]
    rendered = letter.render(EVENTS[-1], CONTACT)
    assert "http://127.0.0.1:8003/v1/pay/abc" in rendered.body
    assert "phí, lệ phí 75.000 đồng" in rendered.body
    assert letter.applies(EVENTS[-1])
    assert not letter.applies(ev.PaymentRequested(dossier_code=CODE, payment_id=uuid.uuid4(),
                                                  amount=Decimal(75000)))


def test_the_fee_reminder_gives_the_deadline_and_the_link_when_known() -> None:
    letter = LETTERS[ev.FeePaymentDue]
    due = ev.FeePaymentDue(dossier_code=CODE, department_code="tp", amount=Decimal(75000),
                           fee_due_date=date(2025, 2, 14))
    without = letter.render(due, CONTACT)
    assert without.subject == f"Sắp hết hạn thanh toán phí, lệ phí hồ sơ {CODE}"
    assert "phí, lệ phí 75.000 đồng" in without.body and "ngày 14/02/2025" in without.body
    assert "thư yêu cầu thanh toán" in without.body
    link = "http://127.0.0.1:8003/v1/pay/abc"
    with_link = letter.render(due.model_copy(update={"pay_url": link}), CONTACT)
    assert f"qua đường dẫn sau:\n{link}\n" in with_link.body
