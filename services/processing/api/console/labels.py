"""What officers read, in Vietnamese: the names of roles, actions, states and reports the
console shows for the codes the system keeps (English stays in code and the API)."""

from __future__ import annotations

from typing import Any

ROLES = {"intake": "Cán bộ một cửa", "specialist": "Chuyên viên", "approver": "Lãnh đạo"}

# An action as a button, and the message once it is done.
ACTIONS = {
    "accept": "Tiếp nhận hồ sơ",
    "refuse_at_intake": "Từ chối tiếp nhận",
    "start": "Bắt đầu xử lý",
    "request_supplement": "Yêu cầu bổ sung hồ sơ",
    "propose": "Trình lãnh đạo",
    "approve": "Phê duyệt và ban hành kết quả",
    "refuse": "Từ chối giải quyết",
    "stop": "Dừng xử lý",
    "transfer": "Chuyển phòng chuyên môn",
    "issue_apology": "Xin lỗi và hẹn lại ngày trả kết quả",
}
DONE = {
    "accept": "Đã tiếp nhận hồ sơ.",
    "refuse_at_intake": "Đã từ chối tiếp nhận hồ sơ.",
    "start": "Đã bắt đầu xử lý hồ sơ.",
    "request_supplement": "Đã gửi yêu cầu bổ sung cho công dân.",
    "propose": "Đã trình lãnh đạo kết quả giải quyết.",
    "approve": "Đã phê duyệt và ban hành kết quả.",
    "refuse": "Đã từ chối giải quyết hồ sơ.",
    "stop": "Đã dừng xử lý hồ sơ.",
    "transfer": "Đã chuyển hồ sơ sang phòng chuyên môn khác.",
    "issue_apology": "Đã ký phiếu xin lỗi và hẹn lại ngày trả kết quả.",
}

# The audit trail's entries: the officers' actions and what happens by itself.
TRAIL = {
    "register": "Hồ sơ được nộp, chuyển đến phòng",
    "accept": "Tiếp nhận hồ sơ",
    "refuse_at_intake": "Từ chối tiếp nhận",
    "start": "Bắt đầu xử lý",
    "request_supplement": "Yêu cầu bổ sung hồ sơ",
    "propose": "Trình lãnh đạo",
    "approve": "Phê duyệt kết quả",
    "refuse": "Từ chối giải quyết",
    "stop": "Dừng xử lý",
    "transfer": "Chuyển phòng chuyên môn",
    "issue_apology": "Xin lỗi và hẹn lại ngày trả kết quả",
    "return_result": "Trả kết quả",
    "fee_paid": "Công dân đã thanh toán phí, lệ phí",
    "fee_failed": "Thu phí, lệ phí không thành công",
    "fee_failure_ignored": "Bỏ qua báo thanh toán không thành công",
    "fee_unsettled": "Chưa xác định được kết quả thanh toán",
    "supplement_provided": "Công dân đã bổ sung hồ sơ",
    "supplement_ignored": "Bỏ qua hồ sơ bổ sung đến muộn",
    "withdraw": "Công dân rút hồ sơ",
    "withdrawal_refused": "Không chấp nhận yêu cầu rút hồ sơ",
    "flag_at_risk": "Hồ sơ sắp đến hạn trả kết quả",
    "flag_overdue": "Hồ sơ quá hạn trả kết quả",
    "flag_fee_overdue": "Quá hạn thanh toán phí, lệ phí",
    "remind_fee": "Nhắc công dân thanh toán phí, lệ phí",
    "delivered": "Bưu điện đã giao kết quả",
}
SYSTEM_ACTOR = "Hệ thống"

SLA = {"on_track": "Trong hạn", "at_risk": "Sắp đến hạn", "overdue": "Quá hạn",
       "paused": "Tạm dừng"}
OUTCOMES = {"approved": "Chấp thuận", "refused": "Từ chối"}
SLA_RESULTS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Trễ hạn"}
RETURN_METHODS = {"online": "Trực tuyến", "postal": "Qua dịch vụ bưu chính công ích"}
CHANNELS = {"email": "thư điện tử", "sms": "tin nhắn SMS"}
# The messages notification sends (its templates' names), as the citizen reads their subject.
MESSAGES = {
    "dossier_accepted": "Hồ sơ đã được tiếp nhận", "result_ready": "Hồ sơ đã có kết quả",
    "supplement_requested": "Yêu cầu bổ sung hồ sơ",
    "apology_letter": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "refused_at_intake": "Hồ sơ không được tiếp nhận", "processing_stopped": "Hồ sơ dừng xử lý",
    "withdrawn": "Hồ sơ đã được rút", "fee_refunded": "Hoàn trả phí, lệ phí",
    "fee_payment_failed": "Thanh toán phí, lệ phí không thành công",
    "fee_payment_due": "Sắp hết hạn thanh toán phí, lệ phí",
    "fee_payment_link": "Thanh toán phí, lệ phí",
}
DOCUMENT_SOURCES = {"submission": "Nộp kèm hồ sơ", "supplement": "Công dân bổ sung"}
SORTS = {"due_date": "Hạn trả sớm nhất trước", "-due_date": "Hạn trả muộn nhất trước",
         "received_at": "Tiếp nhận sớm nhất trước", "-received_at": "Tiếp nhận gần nhất trước",
         "code": "Mã hồ sơ"}

PAYMENT = {"requested": "Đã gửi yêu cầu thanh toán", "completed": "Đã thanh toán",
           "failed": "Thanh toán không thành công", "cancelled": "Đã hủy yêu cầu thanh toán",
           "refunded": "Đã hoàn trả"}
SHIPMENT = {
    "created": "Đã tạo bưu gửi", "ready_to_pick": "Chờ bưu tá đến lấy", "picking": "Đang lấy",
    "picked": "Đã lấy", "storing": "Đang lưu kho", "sorting": "Đang phân loại",
    "transporting": "Đang vận chuyển", "delivering": "Đang giao", "delivered": "Đã giao",
    "delivery_fail": "Giao không thành công", "waiting_to_return": "Chờ chuyển hoàn",
    "return": "Chuyển hoàn", "returning": "Đang chuyển hoàn", "returned": "Đã chuyển hoàn",
    "return_fail": "Chuyển hoàn không thành công", "cancel": "Đã hủy", "exception": "Có sự cố",
    "damage": "Bị hư hỏng", "lost": "Bị thất lạc", "failed": "Không gửi được",
}
MESSAGE = {
    "sent": "Đã gửi", "failed": "Không gửi được", "created": "Đã tạo", "sending": "Đang gửi",
    "delivered": "Đã đến người nhận", "permanent-failure": "Không gửi được (địa chỉ sai)",
    "temporary-failure": "Tạm thời chưa gửi được", "technical-failure": "Lỗi kỹ thuật khi gửi",
}
REPORTS = {"payment": PAYMENT, "shipment": SHIPMENT, "message": MESSAGE}


def vietnamese(table: dict[str, str], code: str | None) -> str:
    """The label of ``code``, or the code itself where none is known (a new state a
    producer added), never an empty cell."""
    if code is None:
        return "—"
    return table.get(code, code)


CALENDAR_PERIODS = {"tet": "Tết Nguyên đán", "reunification": "nghỉ lễ 30/4 – 1/5",
                    "national_day": "nghỉ lễ Quốc khánh 2/9"}


def calendar_banner(periods: list[Any]) -> list[str]:
    """The warning before unconfirmed days (shared.reference.calendar), as officers read it."""
    return [f"Lịch nghỉ {CALENDAR_PERIODS.get(p.period.value, p.period.value)} năm {p.year} "
            f"(từ {p.starts:%d/%m/%Y}) chưa có thông báo chính thức: ngày hẹn trả qua kỳ nghỉ "
            f"này được tính theo Bộ luật Lao động và có thể thay đổi." for p in periods]


def chain_problem(problem: str) -> str:
    """What verify found wrong with an audit entry (shared.runtime.audit_chain), in
    Vietnamese for the officer."""
    if problem.startswith("out of place"):
        return ("sai vị trí: một mục trước nó đã bị xóa, hoặc thứ tự các mục đã bị đổi")
    if "link" in problem:
        return ("mối liên kết với mục trước bị đứt: một mục đã bị xóa, chèn thêm hoặc đổi chỗ")
    return "nội dung đã bị sửa (mã băm không khớp)"

