"""Every letter renders from its versioned template: Vietnamese email in NFC naming the
dossier, SMS in GSM-7 without diacritics (segments counted), amounts grouped with dots; the
start-up check refuses a bad template; an old version renders as it did."""

from __future__ import annotations

import shutil
import unicodedata
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.notification import templating
from services.notification.domain import Contact
from services.notification.letters import LETTERS, Letter, known_placeholders
from services.notification.templating import TemplateError
from shared.contracts import events as ev
from shared.contracts.status import DossierStatus

CODE = "VTH-250123-0007"
CONTACT = Contact(dossier_code=CODE, full_name="Trần Văn Bình", email="binh@example.vn",
                  procedure_name="Đăng ký khai sinh", phone="0912345678")
EVENTS: list[ev.Event] = [
    ev.DossierAccepted(dossier_code=CODE, department_code="tp", fee=Decimal(75000),
                    due_date=date(2025, 2, 10), return_method="online",
                    status=DossierStatus.AWAITING_FEE),
    ev.DossierDecided(dossier_code=CODE, outcome="refused", reason="Thiếu giấy tờ",
                   decided_by="u1", return_method="postal"),
    ev.DossierDecided(dossier_code=CODE, outcome="approved", decided_by="u1",
                      return_method="postal"),
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
    ev.DossierDeadlineRecomputed(dossier_code=CODE, department_code="tp",
                                 previous_due_date=date(2025, 2, 10),
                                 new_due_date=date(2025, 2, 12), calendar_version="2025.2",
                                 reason="Nghỉ bù theo thông báo của Chính phủ"),
    ev.ShipmentCreated(dossier_code=CODE, shipment_id=uuid.uuid4(), carrier="ghn",
                       tracking_code="EJ012345678VN"),
    *(ev.ShipmentStatusChanged(dossier_code=CODE, shipment_id=uuid.uuid4(), carrier="ghn",
                               tracking_code="EJ012345678VN", status=status,
                               changed_at=datetime(2025, 2, 12, 3, tzinfo=UTC),
                               reason="Không liên lạc được người nhận")
      for status in ("delivered", "delivery_fail", "returned")),
    ev.DossierAtRisk(dossier_code=CODE, department_code="tp", due_date=date(2025, 2, 10),
                     working_days_left=1),
    ev.DossierOverdue(dossier_code=CODE, department_code="tp", due_date=date(2025, 2, 10)),
]
TEMPLATES = templating.load()


def letters_for(event: ev.Event) -> list[Letter]:
    return [letter for letter in LETTERS[type(event)] if letter.applies(event)]


def render(event: ev.Event, contact: Contact = CONTACT, **options: bool
           ) -> templating.Rendered:
    [letter] = letters_for(event)
    return templating.render(TEMPLATES.latest(letter.template),
                             letter.values_of(event, contact), **options)


def test_every_letter_has_an_event_here_and_every_template_a_letter() -> None:
    assert {type(event) for event in EVENTS} == set(LETTERS)
    used = {letter.template for event in EVENTS for letter in letters_for(event)}
    assert used == set(known_placeholders()) == set(TEMPLATES.versions)


def test_the_templates_of_the_repository_pass_the_start_up_check() -> None:
    templating.check(TEMPLATES, known_placeholders())
    templating.check(TEMPLATES, known_placeholders(), unicode_sms=True)


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_a_letter_is_vietnamese_in_nfc_and_its_sms_is_plain_gsm(event: ev.Event) -> None:
    [letter] = letters_for(event)
    assert set(letter.values_of(event, CONTACT)) == letter.known
    rendered = render(event)
    assert CODE in rendered.subject
    greeting = ("Kính gửi lãnh đạo phòng tp," if letter.audience == "approver"
                else "Kính gửi Ông/Bà Trần Văn Bình,")
    assert rendered.email.startswith(greeting + "\n\n")
    assert rendered.email.endswith("Trân trọng,\nBộ phận Một cửa\n")
    for text in (rendered.subject, rendered.email):
        assert unicodedata.is_normalized("NFC", text)
        assert "((" not in text and "))" not in text
    sms = rendered.sms
    assert sms.encoding == "gsm7" and sms.text.isascii() and CODE in sms.text
    assert sms.segments == 1, sms.text


def test_an_sms_is_stripped_of_its_diacritics_unless_unicode_is_set() -> None:
    plain = render(EVENTS[-1]).sms
    assert plain.text == "Mot Cua: Ho so VTH-250123-0007 da qua han tra ket qua 10/02/2025."
    unicode = render(EVENTS[-1], unicode_sms=True).sms
    assert unicode.text == "Một Cửa: Hồ sơ VTH-250123-0007 đã quá hạn trả kết quả 10/02/2025."
    assert unicode.encoding == "ucs2" and unicode.segments == 1


@pytest.mark.parametrize(("text", "unicode", "segments"), [
    ("a" * 160, False, 1), ("a" * 161, False, 2), ("a" * 306, False, 2), ("a" * 307, False, 3),
    ("[" * 80, False, 1), ("[" * 81, False, 2),  # an extension character takes two septets
    ("ạ" * 70, True, 1), ("ạ" * 71, True, 2), ("ạ" * 134, True, 2), ("ạ" * 135, True, 3),
])
def test_segments_are_counted_as_operators_bill_them(text: str, unicode: bool,
                                                     segments: int) -> None:
    assert templating.sms_text(text, unicode=unicode).segments == segments


def test_vietnamese_loses_its_marks_and_d_its_bar() -> None:
    assert templating.strip_diacritics("Đăng ký khai sinh, Người Việt") == \
        "Dang ky khai sinh, Nguoi Viet"
    assert templating.sms_text("Trần 张", unicode=False).text == "Tran ?"


def test_the_fee_line_groups_thousands_with_dots_and_keeps_its_commas() -> None:
    assert "Phí, lệ phí: 75.000 đồng, vui lòng thanh toán trực tuyến." in render(EVENTS[0]).email
    free = EVENTS[0].model_copy(update={"fee": Decimal(0)})
    assert "Thủ tục này không thu phí, lệ phí." in render(free).email
    assert "Phí, lệ phí:" not in render(free).email


def test_the_payment_link_letter_carries_the_link_and_only_when_there_is_one() -> None:
    request = next(e for e in EVENTS if isinstance(e, ev.PaymentRequested))
    rendered = render(request)
    assert "http://127.0.0.1:8003/v1/pay/abc" in rendered.email
    assert "http://127.0.0.1:8003/v1/pay/abc" in rendered.sms.text
    assert "phí, lệ phí 75.000 đồng" in rendered.email
    assert not letters_for(ev.PaymentRequested(dossier_code=CODE, payment_id=uuid.uuid4(),
                                               amount=Decimal(75000)))


def test_the_fee_reminder_carries_the_link_from_the_event_or_the_one_remembered() -> None:
    due = next(e for e in EVENTS if isinstance(e, ev.FeePaymentDue))
    without = render(due)
    assert without.subject == f"Sắp hết hạn thanh toán phí, lệ phí hồ sơ {CODE}"
    assert "phí, lệ phí 75.000 đồng" in without.email and "ngày 14/02/2025" in without.email
    assert "thư yêu cầu thanh toán" in without.email and "http" not in without.sms.text
    link = "http://127.0.0.1:8003/v1/pay/abc"
    with_link = render(due.model_copy(update={"pay_url": link}))
    assert f"qua đường dẫn sau:\n{link}\n" in with_link.email and link in with_link.sms.text
    remembered = render(due, Contact(**{**CONTACT.__dict__, "pay_url": link}))
    assert f"qua đường dẫn sau:\n{link}\n" in remembered.email
    assert "thư yêu cầu thanh toán" not in remembered.email


def _copy(tmp_path) -> str:
    folder = tmp_path / "templates"
    shutil.copytree(templating.DEFAULT_DIR, folder)
    return folder


@pytest.mark.parametrize(("edit", "problem"), [
    ('subject = "Hồ sơ ((dossier_code)) ((who_knows))"', "unknown placeholders ['who_knows']"),
    ('sms = "Hồ sơ ((dossier_code)) ☎"', "GSM-7 cannot send"),
    ('colour = "red"', "Extra inputs are not permitted"),
    ('sms = "((dossier_code)) ' + "x" * 480 + '"', "segments"),
])
def test_the_start_up_check_refuses_a_bad_template(tmp_path, edit: str, problem: str) -> None:
    folder = _copy(tmp_path)
    version = folder / "withdrawn" / "v2.toml"
    text = (folder / "withdrawn" / "v1.toml").read_text()
    key = edit.split(" =")[0]
    lines = [line for line in text.splitlines() if not line.startswith(f"{key} =")]
    version.write_text("\n".join([edit, *lines]) + "\n")
    with pytest.raises(TemplateError) as refused:
        templating.check(templating.load(folder), known_placeholders())
    assert any(problem in found for found in refused.value.problems), refused.value.problems
    assert any("withdrawn" in found for found in refused.value.problems)


def test_the_start_up_check_refuses_a_missing_template(tmp_path) -> None:
    folder = _copy(tmp_path)
    shutil.rmtree(folder / "result_shipped")
    with pytest.raises(TemplateError, match="result_shipped: no template file"):
        templating.check(templating.load(folder), known_placeholders())


def test_a_new_version_never_changes_what_an_old_one_says(tmp_path) -> None:
    folder = _copy(tmp_path)
    old = (folder / "withdrawn" / "v1.toml").read_text()
    (folder / "withdrawn" / "v2.toml").write_text(old.replace("đã được rút", "đã được rút lại"))
    templates = templating.load(folder)
    values = next(iter(LETTERS[ev.DossierWithdrawn])).values_of(ev.DossierWithdrawn(
        dossier_code=CODE), CONTACT)
    assert templates.latest("withdrawn").version == 2
    assert "đã được rút lại" in templating.render(templates.latest("withdrawn"), values).email
    assert "đã được rút lại" not in templating.render(templates.get("withdrawn", 1), values).email
