"""The printable forms: the set chosen by the dossier's date, and each form's PDF, whose
extracted text holds the Vietnamese title, motto and content exactly (NFC)."""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from shared.forms import (
    FormsError,
    font_subsetter,
    form_sets,
    money,
    payment_forms,
    qr_svg,
    render_html,
    render_pdf,
    vn_date,
)

AGENCY = "Ủy ban nhân dân huyện Vĩnh Thạnh, thành phố Cần Thơ"
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
RECEIVED = datetime(2026, 1, 5, 2, 30, tzinfo=UTC)
COMMON = {"code": "VTH-260105-0007", "number": "VTH-260105-0007", "issued_on": RECEIVED,
          "applicant_name": "Nguyễn Thị Hoa", "procedure_name": "Đăng ký kết hôn",
          "received_at": RECEIVED, "reason": "Thiếu xác nhận tình trạng hôn nhân"}
DATA = {
    "receipt": {"submitter": "Trần Văn Nam", "secret": "A1B2C3D4E5",
                "documents": [{"name": "Tờ khai đăng ký kết hôn", "filename": "to_khai.pdf"}],
                "statutory_days": 5, "due_date": date(2026, 1, 12),
                "return_method": "Qua dịch vụ bưu chính công ích", "book_number": "TP/2026",
                "tracking_url": "http://intake/citizen/track?code=VTH-260105-0007",
                "qr": qr_svg("http://intake/citizen/track?code=VTH-260105-0007")},
    "supplement-request": {"missing": ["Giấy xác nhận tình trạng hôn nhân"],
                           "deadline": date(2026, 1, 20)},
    "refusal": {},
    "apology": {"previous_due_date": date(2026, 1, 12), "new_due_date": date(2026, 1, 19)},
    "stop-notice": {},
    "control-slip": {"due_date": date(2026, 1, 12), "department_name": "Phòng Tư pháp",
                     "steps": [{"handed_by": "Bộ phận Một cửa", "taken_by": "Phòng Tư pháp",
                                "at": RECEIVED, "result": "Đúng hạn", "note": ""}]},
    "book": {"department_name": "Phòng Tư pháp", "period_from": date(2026, 1, 1),
             "period_to": date(2026, 1, 31),
             "rows": [{"code": "VTH-260105-0007", "procedure_name": "Đăng ký kết hôn",
                       "applicant_name": "Nguyễn Thị Hoa", "received_at": RECEIVED,
                       "due_date": date(2026, 1, 12), "transferred_at": RECEIVED,
                       "decided_at": None, "returned_at": None, "note": ""}]},
}


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, NFC, with every run of white space as one space (a title may wrap)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


def test_the_set_is_chosen_by_the_dossiers_date() -> None:
    sets = form_sets()
    assert sets.in_force(date(2025, 6, 30)).id == "tt01-2018"
    assert sets.in_force(date(2025, 7, 1)).id == "tt03-2025"
    # an instant counts on its Vietnamese business day: 17:30 UTC on 30/6 is 1/7 in Hà Nội
    assert sets.in_force(datetime(2025, 6, 30, 17, 30, tzinfo=UTC)).id == "tt03-2025"
    with pytest.raises(FormsError, match="no form set"):
        sets.in_force(date(2010, 1, 1))


def test_the_2025_set_has_seven_forms_and_renumbers_after_the_apology() -> None:
    old, new = form_sets().in_force(date(2025, 1, 1)), form_sets().in_force(date(2026, 1, 1))
    assert [f.number for f in old.forms] == ["01", "02", "03", "04", "05", "06"]
    assert len(new.forms) == 7
    assert old.form("05").key == "control-slip" and new.form("05").key == "stop-notice"
    assert new.form("06").key == "control-slip" and new.form("07").key == "book"
    assert old.form("04").title == "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    assert new.form("apology").title == "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết"
    assert not old.has("stop-notice")
    with pytest.raises(FormsError, match="has no form '08'"):
        new.form("08")


def test_every_wording_taken_from_secondary_sources_is_marked_unverified() -> None:
    for form_set in form_sets().sets:
        assert "legal_basis" in form_set.unverified
        for form in form_set.forms:
            assert "body" in form.unverified, (form_set.id, form.key)
            assert unicodedata.is_normalized("NFC", form.title)


@pytest.mark.parametrize("day", [date(2025, 3, 1), date(2026, 1, 5)], ids=["2018", "2025"])
def test_each_form_renders_as_a_pdf_holding_its_vietnamese_title(day: date) -> None:
    form_set = form_sets().in_force(day)
    for form in form_set.forms:
        html = render_html(form_set, form, {**COMMON, **DATA[form.key]}, agency_name=AGENCY)
        text = pdf_text(render_pdf(html))
        assert form.title.upper() in text, (form_set.id, form.key)
        for line in MOTTO:
            assert line in text
        assert f"Mẫu số {form.number}" in text
        assert "ỦY BAN NHÂN DÂN HUYỆN VĨNH THẠNH" in text
        assert form_set.unit.upper() in text
        assert "Vĩnh Thạnh, ngày 05 tháng 01 năm 2026" in text
        if form.key not in ("book", "control-slip"):
            assert "Nguyễn Thị Hoa" in text and "(Ký và ghi rõ họ tên)" in text


def test_the_receipt_carries_its_data_and_a_qr_code_of_the_tracking_link() -> None:
    form_set = form_sets().in_force(date(2026, 1, 5))
    html = render_html(form_set, form_set.form("01"), {**COMMON, **DATA["receipt"]},
                       agency_name=AGENCY)
    assert html.count("<svg") == 1 and "<path" in html
    text = pdf_text(render_pdf(html))
    for expected in ("VTH-260105-0007", "A1B2C3D4E5", "Tờ khai đăng ký kết hôn",
                     "5 ngày làm việc", "09 giờ 30 phút, ngày 05 tháng 01 năm 2026",
                     "ngày 12 tháng 01 năm 2026", "Qua dịch vụ bưu chính công ích",
                     "TP/2026", "Người nộp thay: Trần Văn Nam", "NGƯỜI TIẾP NHẬN HỒ SƠ"):
        assert expected in text, expected


def test_fonts_are_embedded_by_harfbuzz_where_make_fonts_ran() -> None:
    """``make fonts`` (a prerequisite of ``make test``) installs HarfBuzz's subsetter: without
    it WeasyPrint subsets with fontTools, ~4x the CPU per PDF, and notification prints one
    for most emails. The embedded fonts hold only the glyphs used either way."""
    assert font_subsetter() == "harfbuzz"
    form_set = form_sets().in_force(date(2026, 1, 5))
    html = render_html(form_set, form_set.form("01"), {**COMMON, **DATA["receipt"]},
                       agency_name=AGENCY)
    pdf = render_pdf(html)
    assert len(pdf) < 100_000, "the fonts are subset, not embedded whole (DejaVu is ~700 KB)"
    assert "Vĩnh Thạnh, ngày 05 tháng 01 năm 2026" in pdf_text(pdf)


def test_a_missing_field_fails_instead_of_printing_a_blank() -> None:
    form_set = form_sets().in_force(date(2026, 1, 5))
    with pytest.raises(Exception, match="deadline"):
        render_html(form_set, form_set.form("02"), {**COMMON, "missing": []},
                    agency_name=AGENCY)


def test_the_payment_receipt_prints_amounts_the_vietnamese_way() -> None:
    receipts = payment_forms()
    form = receipts.form("payment-receipt")
    html = render_html(receipts, form, {
        "code": "VTH-260105-0007", "number": "VTH-2026-000012", "issued_on": RECEIVED,
        "payer_name": "Nguyễn Thị Hoa", "amount": Decimal(150000), "gateway": "VNPAY",
        "transaction_no": "14123456", "paid_at": RECEIVED, "cancelled_at": None,
        "cancel_reason": None,
        "lines": [{"label": "Phí, lệ phí giải quyết thủ tục hành chính",
                   "amount": Decimal(150000)}]}, agency_name=AGENCY)
    text = pdf_text(render_pdf(html))
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text and "150.000 đồng" in text
    assert "Số: VTH-2026-000012" in text and "14123456" in text
    assert "ĐÃ BỊ HỦY" not in text
    cancelled = render_html(receipts, form, {
        "code": "VTH-260105-0007", "number": "VTH-2026-000012", "issued_on": RECEIVED,
        "payer_name": None, "amount": Decimal(150000), "gateway": "VNPAY",
        "transaction_no": None, "paid_at": RECEIVED, "lines": [],
        "cancelled_at": RECEIVED, "cancel_reason": "Thu nhầm"}, agency_name=AGENCY)
    assert "BIÊN LAI ĐÃ BỊ HỦY ngày 05 tháng 01 năm 2026. Lý do: Thu nhầm" in pdf_text(
        render_pdf(cancelled))
    assert money(Decimal("1234567")) == "1.234.567 đồng"
    assert vn_date(date(2026, 2, 3)) == "ngày 03 tháng 02 năm 2026"
