"""The citizen's pages, in Vietnamese: the outcome of the return redirect, and what a link
that leads to nothing to pay says. Plain HTML, every value escaped."""

from __future__ import annotations

from html import escape

from services.payment.domain.codes import meaning_vi
from services.payment.handlers.citizen import LinkState, ReturnView

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1>{body}</main></body></html>"""


def page(title: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    if link is not None:
        body += f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>'
    return _PAGE.format(title=escape(title), body=body)


def returned(view: ReturnView) -> str:
    about = f"Hồ sơ {view.dossier_code}" if view.dossier_code else ""
    if view.outcome == "paid":
        return page("Thanh toán thành công",
                    f"{about}: phí, lệ phí đã được thanh toán. Hồ sơ sẽ được tiếp tục giải "
                    "quyết.",
                    link=(view.receipt_url, "Xem biên lai thu phí, lệ phí")
                    if view.receipt_url else None)
    if view.outcome == "confirming":
        return page("Đang xác nhận thanh toán",
                    f"{about}: cổng thanh toán báo giao dịch thành công. Hệ thống đang chờ "
                    "xác nhận chính thức từ cổng thanh toán; Ông/Bà không cần thanh toán lại.")
    if view.outcome == "pending":
        return page("Giao dịch đang chờ xử lý",
                    f"{about}: {meaning_vi(view.response_code or '99')}. Kết quả sẽ được "
                    "thông báo khi ngân hàng xác nhận; Ông/Bà không cần thanh toán lại.")
    if view.outcome == "declined":
        return page("Thanh toán không thành công",
                    f"{about}: {meaning_vi(view.response_code or '99')}.",
                    link=(view.pay_url, "Thanh toán lại") if view.pay_url else None)
    return page("Không xác định được giao dịch",
                "Thông tin trả về từ cổng thanh toán không hợp lệ. Kết quả thanh toán chỉ được "
                "ghi nhận theo xác nhận của cổng thanh toán.")


def not_payable(state: LinkState, dossier_code: str | None,
                receipt_url: str | None = None) -> tuple[int, str]:
    if state == "paid":
        return 200, page("Phí, lệ phí đã được thanh toán",
                         f"Hồ sơ {dossier_code} đã được thanh toán phí, lệ phí.",
                         link=(receipt_url, "Xem biên lai thu phí, lệ phí")
                         if receipt_url else None)
    if state == "closed":
        return 410, page("Yêu cầu thanh toán không còn hiệu lực",
                         f"Hồ sơ {dossier_code} không còn phải thanh toán phí, lệ phí.")
    return 404, page("Không tìm thấy yêu cầu thanh toán",
                     "Đường dẫn thanh toán không đúng. Vui lòng kiểm tra lại thư thông báo.")
