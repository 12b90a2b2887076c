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
