"""The gateway's answers (VNPay 2.1.0): what each ``vnp_ResponseCode`` of a payment means, in
English for operators' logs and events, and in Vietnamese for the citizen's return page."""

from __future__ import annotations

RESPONSE_CODES: dict[str, tuple[str, str]] = {
    "00": ("success", "Giao dịch thành công"),
    "07": ("money taken, flagged as suspicious",
           "Trừ tiền thành công, giao dịch đang được ngân hàng kiểm tra"),
    "09": ("not registered for internet banking",
           "Thẻ/tài khoản chưa đăng ký dịch vụ Internet Banking"),
    "10": ("wrong card details three times", "Xác thực thông tin thẻ/tài khoản sai quá 3 lần"),
    "11": ("payment window expired", "Đã hết hạn chờ thanh toán"),
    "12": ("card or account locked", "Thẻ/tài khoản bị khóa"),
    "13": ("wrong OTP", "Nhập sai mật khẩu xác thực giao dịch (OTP)"),
    "24": ("cancelled by the customer", "Ông/Bà đã hủy giao dịch"),
    "51": ("insufficient balance", "Tài khoản không đủ số dư"),
    "65": ("daily limit exceeded", "Tài khoản đã vượt quá hạn mức giao dịch trong ngày"),
    "75": ("bank under maintenance", "Ngân hàng thanh toán đang bảo trì"),
    "79": ("wrong password too many times", "Nhập sai mật khẩu thanh toán quá số lần quy định"),
    "99": ("other error", "Giao dịch không thành công"),
}
TRANSACTION_STATUSES: dict[str, str] = {
    "00": "success", "01": "pending", "02": "error", "04": "reversed",
    "05": "refund in progress", "06": "refund sent to the bank", "07": "fraud suspected",
    "09": "refund refused",
}


def meaning(code: str) -> str:
    return RESPONSE_CODES.get(code, RESPONSE_CODES["99"])[0]


def meaning_vi(code: str) -> str:
    return RESPONSE_CODES.get(code, RESPONSE_CODES["99"])[1]
