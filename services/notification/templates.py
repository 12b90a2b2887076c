"""What the citizen reads, in Vietnamese, and when: one letter per moment of the dossier's
life (``LETTERS``, the table from event to letter)."""

from __future__ import annotations

from decimal import Decimal

from services.notification.domain import Contact, Letter, Rendered
from shared.contracts.events import (
    DossierAccepted,
    DossierApologyIssued,
    DossierDecided,
    DossierProcessingStopped,
    DossierRefusedAtIntake,
    DossierWithdrawn,
    Event,
    FeePaymentDue,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    SupplementRequested,
)

_SIGNATURE = "\n\nTrân trọng,\nBộ phận Một cửa"


def _dear(contact: Contact) -> str:
    return f"Kính gửi Ông/Bà {contact.full_name},\n\n"


def _about(code: str, procedure: str) -> str:
    return f"Hồ sơ {code} về thủ tục «{procedure}»"


def _vnd(amount: Decimal) -> str:
    return f"{int(amount):,}".replace(",", ".")  # Vietnamese groups thousands with dots


def accepted(event: DossierAccepted, contact: Contact) -> Rendered:
    fee_line = (f"Phí, lệ phí: {_vnd(event.fee)} đồng, vui lòng thanh toán trực tuyến."
                if event.fee > 0 else "Thủ tục này không thu phí, lệ phí.")
    return Rendered(
        subject=f"Hồ sơ {event.dossier_code} đã được tiếp nhận",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} đã được "
              f"tiếp nhận.\nNgày hẹn trả kết quả: {event.due_date:%d/%m/%Y}.\n{fee_line}\n\n"
              f"Ông/Bà có thể tra cứu tình trạng hồ sơ bằng mã {event.dossier_code}."
              + _SIGNATURE))


def result_ready(event: DossierDecided, contact: Contact) -> Rendered:
    verdict = ("đã được giải quyết." if event.outcome == "approved"
               else f"không được giải quyết. Lý do: {event.reason or 'không nêu'}.")
    delivery = ("Kết quả sẽ được gửi đến địa chỉ của Ông/Bà qua dịch vụ bưu chính công ích."
                if event.return_method == "postal"
                else "Ông/Bà có thể nhận kết quả trực tuyến trên cổng dịch vụ công.")
    return Rendered(
        subject=f"Hồ sơ {event.dossier_code} đã có kết quả",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} "
              f"{verdict}\n{delivery}" + _SIGNATURE))


def supplement_requested(event: SupplementRequested, contact: Contact) -> Rendered:
    items = "\n".join(f"  - {item}" for item in event.missing)
    return Rendered(
        subject=f"Yêu cầu bổ sung hồ sơ {event.dossier_code}",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} cần được "
              f"bổ sung, hoàn thiện.\nLý do: {event.reason}\nGiấy tờ cần bổ sung:\n{items}\n"
              f"Hạn bổ sung: {event.deadline:%d/%m/%Y}. Thời gian giải quyết tạm dừng cho đến "
              "khi Ông/Bà bổ sung đầy đủ trên cổng dịch vụ công." + _SIGNATURE))


def apology(event: DossierApologyIssued, contact: Contact) -> Rendered:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)."""
    return Rendered(
        subject=f"Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ {event.dossier_code}",
        body=(_dear(contact) + f"{_about(event.dossier_code, event.procedure_name)} có ngày hẹn "
              f"trả kết quả {event.previous_due_date:%d/%m/%Y}. Cơ quan chúng tôi chưa thể trả "
              f"kết quả đúng hẹn.\nLý do: {event.reason}\nChúng tôi thành thật xin lỗi Ông/Bà "
              f"và xin hẹn trả kết quả vào ngày {event.new_due_date:%d/%m/%Y}." + _SIGNATURE))


def refused_at_intake(event: DossierRefusedAtIntake, contact: Contact) -> Rendered:
    return Rendered(
        subject=f"Hồ sơ {event.dossier_code} không được tiếp nhận",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} không "
              f"được tiếp nhận.\nLý do: {event.reason}" + _SIGNATURE))


def stopped(event: DossierProcessingStopped, contact: Contact) -> Rendered:
    return Rendered(
        subject=f"Hồ sơ {event.dossier_code} đã dừng xử lý",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} đã dừng "
              f"xử lý.\nLý do: {event.reason}" + _SIGNATURE))


def withdrawn(event: DossierWithdrawn, contact: Contact) -> Rendered:
    return Rendered(
        subject=f"Hồ sơ {event.dossier_code} đã được rút theo đề nghị của Ông/Bà",
        body=(_dear(contact) + f"Theo đề nghị của Ông/Bà, hồ sơ {event.dossier_code} về thủ tục "
              f"«{contact.procedure_name}» đã được rút và không tiếp tục giải quyết."
              + _SIGNATURE))


def refunded(event: PaymentRefunded, contact: Contact) -> Rendered:
    return Rendered(
        subject=f"Hoàn trả phí, lệ phí hồ sơ {event.dossier_code}",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} không "
              f"tiếp tục giải quyết, nên phí, lệ phí {_vnd(event.amount)} đồng Ông/Bà đã nộp "
              "được hoàn trả qua cổng thanh toán trực tuyến." + _SIGNATURE))


def payment_failed(event: PaymentFailed, contact: Contact) -> Rendered:
    return Rendered(
        subject=f"Thanh toán phí, lệ phí hồ sơ {event.dossier_code} không thành công",
        body=(_dear(contact) + f"Việc thanh toán phí, lệ phí {_vnd(event.amount)} đồng cho hồ "
              f"sơ {event.dossier_code} về thủ tục «{contact.procedure_name}» không thành "
              "công.\nHồ sơ sẽ được tiếp tục giải quyết sau khi phí, lệ phí được nộp đủ. "
              "Ông/Bà vui lòng liên hệ Bộ phận Một cửa để được hướng dẫn nộp phí, lệ phí."
              + _SIGNATURE))


def payment_link(event: PaymentRequested, contact: Contact) -> Rendered:
    return Rendered(
        subject=f"Thanh toán phí, lệ phí hồ sơ {event.dossier_code}",
        body=(_dear(contact) + f"{_about(event.dossier_code, contact.procedure_name)} cần nộp "
              f"phí, lệ phí {_vnd(event.amount)} đồng trước khi được tiếp tục giải quyết.\n"
              f"Ông/Bà vui lòng thanh toán trực tuyến qua đường dẫn sau:\n{event.pay_url}\n"
              "Mỗi lần mở đường dẫn là một lần thanh toán mới; nếu lần trước không thành công, "
              "Ông/Bà có thể mở lại đường dẫn này." + _SIGNATURE))


def fee_due(event: FeePaymentDue, contact: Contact) -> Rendered:
    """A reminder the working day before the fee's deadline, with the link when known."""
    how = (f"qua đường dẫn sau:\n{event.pay_url}" if event.pay_url
           else "qua đường dẫn trong thư yêu cầu thanh toán đã gửi Ông/Bà.")
    lines = [f"{_about(event.dossier_code, contact.procedure_name)} chưa được nộp phí, lệ phí "
             f"{_vnd(event.amount)} đồng. Hạn thanh toán là ngày {event.fee_due_date:%d/%m/%Y};"
             " quá hạn này, hồ sơ có thể bị dừng giải quyết.",
             f"Ông/Bà vui lòng thanh toán trực tuyến {how}"]
    subject = f"Sắp hết hạn thanh toán phí, lệ phí hồ sơ {event.dossier_code}"
    return Rendered(subject=subject, body=_dear(contact) + "\n".join(lines) + _SIGNATURE)


LETTERS: dict[type[Event], Letter] = {
    DossierAccepted: Letter("dossier_accepted", accepted),
    DossierDecided: Letter("result_ready", result_ready),
    SupplementRequested: Letter("supplement_requested", supplement_requested),
    DossierApologyIssued: Letter("apology_letter", apology),
    DossierRefusedAtIntake: Letter("refused_at_intake", refused_at_intake),
    DossierProcessingStopped: Letter("processing_stopped", stopped),
    DossierWithdrawn: Letter("withdrawn", withdrawn),
    PaymentRefunded: Letter("fee_refunded", refunded),
    PaymentFailed: Letter("fee_payment_failed", payment_failed),
    FeePaymentDue: Letter("fee_payment_due", fee_due),
    PaymentRequested: Letter("fee_payment_link", payment_link,
                             applies=lambda event: event.pay_url is not None),
}
