"""What the citizen reads, in Vietnamese. One template per moment of the dossier's life."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def accepted(*, name: str, code: str, procedure: str, due_date: date, fee: int) -> Rendered:
    fee_line = (
        f"Phí, lệ phí: {fee:,} đồng, vui lòng thanh toán trực tuyến.".replace(",", ".")
        if fee > 0
        else "Thủ tục này không thu phí, lệ phí."
    )
    return Rendered(
        subject=f"Hồ sơ {code} đã được tiếp nhận",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» đã được tiếp nhận.\n"
            f"Ngày hẹn trả kết quả: {due_date:%d/%m/%Y}.\n"
            f"{fee_line}\n\n"
            f"Ông/Bà có thể tra cứu tình trạng hồ sơ bằng mã {code}.\n\n"
            "Trân trọng,\nBộ phận Một cửa"
        ),
    )


def result_ready(*, name: str, code: str, procedure: str, outcome: str, reason: str | None,
                 return_method: str) -> Rendered:
    if outcome == "approved":
        verdict = "đã được giải quyết."
    else:
        verdict = f"không được giải quyết. Lý do: {reason or 'không nêu'}."
    delivery = (
        "Kết quả sẽ được gửi đến địa chỉ của Ông/Bà qua dịch vụ bưu chính công ích."
        if return_method == "postal"
        else "Ông/Bà có thể nhận kết quả trực tuyến trên cổng dịch vụ công."
    )
    return Rendered(
        subject=f"Hồ sơ {code} đã có kết quả",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» {verdict}\n{delivery}\n\n"
            "Trân trọng,\nBộ phận Một cửa"
        ),
    )


_SIGNATURE = "\n\nTrân trọng,\nBộ phận Một cửa"


def supplement_requested(*, name: str, code: str, procedure: str, missing: list[str],
                         reason: str, deadline: date) -> Rendered:
    items = "\n".join(f"  - {item}" for item in missing)
    return Rendered(
        subject=f"Yêu cầu bổ sung hồ sơ {code}",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» cần được bổ sung, hoàn thiện.\n"
            f"Lý do: {reason}\nGiấy tờ cần bổ sung:\n{items}\n"
            f"Hạn bổ sung: {deadline:%d/%m/%Y}. Thời gian giải quyết tạm dừng cho đến khi "
            "Ông/Bà bổ sung đầy đủ trên cổng dịch vụ công." + _SIGNATURE
        ),
    )


def apology(*, name: str, code: str, procedure: str, reason: str, previous_due_date: date,
            new_due_date: date) -> Rendered:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)."""
    return Rendered(
        subject=f"Phiếu xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» có ngày hẹn trả kết quả "
            f"{previous_due_date:%d/%m/%Y}. Cơ quan chúng tôi chưa thể trả kết quả đúng hẹn.\n"
            f"Lý do: {reason}\n"
            f"Chúng tôi thành thật xin lỗi Ông/Bà và xin hẹn trả kết quả vào ngày "
            f"{new_due_date:%d/%m/%Y}." + _SIGNATURE
        ),
    )


def refused_at_intake(*, name: str, code: str, procedure: str, reason: str) -> Rendered:
    return Rendered(
        subject=f"Hồ sơ {code} không được tiếp nhận",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» không được tiếp nhận.\n"
            f"Lý do: {reason}" + _SIGNATURE
        ),
    )


def stopped(*, name: str, code: str, procedure: str, reason: str) -> Rendered:
    return Rendered(
        subject=f"Hồ sơ {code} đã dừng xử lý",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» đã dừng xử lý.\n"
            f"Lý do: {reason}" + _SIGNATURE
        ),
    )


def withdrawn(*, name: str, code: str, procedure: str) -> Rendered:
    return Rendered(
        subject=f"Hồ sơ {code} đã được rút theo đề nghị của Ông/Bà",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Theo đề nghị của Ông/Bà, hồ sơ {code} về thủ tục «{procedure}» đã được rút "
            "và không tiếp tục giải quyết." + _SIGNATURE
        ),
    )


def refunded(*, name: str, code: str, procedure: str, amount: int) -> Rendered:
    amount_vnd = f"{amount:,}".replace(",", ".")  # Vietnamese groups thousands with dots
    return Rendered(
        subject=f"Hoàn trả phí, lệ phí hồ sơ {code}",
        body=(
            f"Kính gửi Ông/Bà {name},\n\n"
            f"Hồ sơ {code} về thủ tục «{procedure}» không tiếp tục giải quyết, nên phí, lệ phí "
            f"{amount_vnd} đồng Ông/Bà đã nộp được hoàn trả qua cổng thanh toán trực tuyến."
            + _SIGNATURE
        ),
    )
