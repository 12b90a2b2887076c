"""The console's forms become the API's own commands, and every refusal is said in
Vietnamese next to the field it is about (services/processing/api/console/forms.py)."""

from __future__ import annotations

import io
from datetime import date

from starlette.datastructures import FormData, Headers, UploadFile

from services.processing.api.console import forms
from services.processing.domain.errors import DateOutOfBounds, InvalidAction
from services.processing.domain.result_file import MAX_BYTES
from services.processing.schemas import ApproveDossier, RequestSupplement

PDF = b"%PDF-1.4 ket qua\n"


def _upload(content: bytes, name: str = "ket-qua.pdf") -> UploadFile:
    return UploadFile(io.BytesIO(content), filename=name,
                      headers=Headers({"content-type": "application/pdf"}))


async def test_a_supplement_request_reads_one_missing_item_per_line() -> None:
    filled = await forms.read("request_supplement", FormData({
        "missing": "Bản vẽ hiện trạng\r\n\r\n  Giấy chứng nhận QSDĐ  \n",
        "reason": "Thiếu bản vẽ", "deadline": ""}), 7)
    assert filled.errors == {}
    assert filled.command == RequestSupplement(
        action="request_supplement", version=7, reason="Thiếu bản vẽ",
        missing=["Bản vẽ hiện trạng", "Giấy chứng nhận QSDĐ"])


async def test_what_is_missing_is_named_in_vietnamese_beside_its_field() -> None:
    filled = await forms.read("request_supplement", FormData({
        "missing": " \n", "reason": "   ", "deadline": "31/02/2026"}), 1)
    assert filled.command is None
    assert filled.errors == {
        "missing": "Vui lòng nêu giấy tờ cần bổ sung, mỗi dòng một giấy tờ.",
        "reason": "Vui lòng nhập lý do.", "deadline": "Ngày không hợp lệ."}
    assert filled.values["deadline"] == "31/02/2026"  # shown again as typed


async def test_too_long_and_control_characters_are_refused_with_their_reason() -> None:
    long = await forms.read("refuse", FormData({"reason": "x" * 2001}), None)
    assert long.errors == {"reason": "Tối đa 2000 ký tự."}
    control = await forms.read("stop", FormData({"reason": "Quá hạn\x00"}), None)
    assert control.errors == {"reason": "Có ký tự điều khiển hoặc ký tự không được phép."}


async def test_a_proposal_a_transfer_and_an_apology_need_their_choice() -> None:
    assert (await forms.read("propose", FormData({}), 1)).errors == {
        "proposed_outcome": "Vui lòng chọn đề xuất: chấp thuận hoặc từ chối."}
    assert (await forms.read("transfer", FormData({"to_department": ""}), 1)).errors == {
        "to_department": "Vui lòng chọn phòng chuyên môn nhận hồ sơ."}
    assert (await forms.read("issue_apology", FormData({"reason": "Cần xác minh"}), 1)
            ).errors == {"new_due_date": "Vui lòng chọn ngày hẹn trả kết quả mới."}


async def test_an_approval_carries_a_real_pdf_jpeg_or_png() -> None:
    filled = await forms.read("approve", FormData({"result_document": _upload(PDF)}), 3)
    assert isinstance(filled.command, ApproveDossier)
    assert filled.command.result_document.content_type == "application/pdf"
    assert filled.command.result_document.filename == "ket-qua.pdf"


    cases = {
        "Vui lòng đính kèm văn bản kết quả (PDF, JPEG hoặc PNG).": FormData({}),
        "Tệp rỗng: vui lòng chọn lại văn bản kết quả.": FormData(
            {"result_document": _upload(b"")}),
        "Chỉ nhận tệp PDF, JPEG hoặc PNG.": FormData(
            {"result_document": _upload(b"<html>not a pdf</html>")}),
        "Tệp quá lớn: tối đa 10 MB.": FormData(
            {"result_document": _upload(PDF + b"0" * MAX_BYTES)}),
    }
    for message, form in cases.items():
        refused = await forms.read("approve", form, 3)
        assert refused.command is None and refused.errors == {"result_document": message}


def test_the_domains_refusals_are_put_beside_their_field() -> None:
    filled = forms.Filled("issue_apology")
    forms.explain(DateOutOfBounds("new_due_date", date(2020, 1, 6), date(2026, 12, 3),
                                  date(2027, 12, 2), "after the committed date"), filled)
    assert filled.errors == {"new_due_date": "Ngày phải trong khoảng 03/12/2026 – 02/12/2027."}
    filled = forms.Filled("issue_apology")
    forms.explain(InvalidAction("new_due_date 2026-12-05 is not a working day"), filled)
    assert filled.errors == {"new_due_date": "Ngày hẹn mới phải là ngày làm việc."}


def test_what_officers_read_is_vietnamese_in_nfc() -> None:
    import unicodedata

    from services.processing.api.console import labels

    tables = [value for value in vars(labels).values() if isinstance(value, dict)]
    texts = [text for table in tables for text in table.values() if isinstance(text, str)]
    assert len(texts) > 100
    assert all(unicodedata.is_normalized("NFC", text) for text in texts)
    from services.processing.api.console.render import TEMPLATES

    pages = list((TEMPLATES / "console").glob("*.html"))
    assert len(pages) >= 8
    for template in pages:
        assert unicodedata.is_normalized("NFC", template.read_text("utf-8")), template.name
