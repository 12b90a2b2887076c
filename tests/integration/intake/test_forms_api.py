"""Forms through intake's API: the PDF of a portal's dossier, in the set of its date."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.intake.handlers.forms import dossier_form_html, tracking_url
from shared.contracts.events import (
    DossierApologyIssued,
    DossierProcessingStopped,
    SupplementRequested,
)
from shared.forms import qr_svg
from tests.integration.intake.support import Intake, registered, told
from tests.unit.test_forms import MOTTO, pdf_text

pytestmark = pytest.mark.integration


async def _form(intake: Intake, code: str, form: str, **kwargs) -> tuple[int, bytes, str]:
    answer = await intake.send("GET", f"/v1/dossiers/{code}/forms/{form}", **kwargs)
    return answer.status_code, answer.content, answer.headers.get("content-type", "")


async def test_the_receipt_is_a_pdf_of_the_dossier_with_its_secret_and_tracking_link(
        intake: Intake) -> None:
    code, _ = await registered(intake)
    status, pdf, media = await _form(intake, code, "01")
    assert status == 200 and media == "application/pdf" and pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    secret = await intake.pool.fetchval("SELECT citizen_secret FROM dossier WHERE code = $1",
                                        code)
    assert len(secret) == 10
    for expected in ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", *MOTTO, code, secret,
                     "Nguyễn Thị Hoa", "BỘ PHẬN MỘT CỬA", "Thông tư số 03/2025/TT-VPCP"):
        assert expected in text, expected
    assert f"/citizen/track?code={code}" in text.replace(" ", "")  # a long link wraps
    assert (await _form(intake, code, "receipt"))[0] == 200
    _, _, html = await dossier_form_html(intake.deps, code, "01")
    assert str(qr_svg(tracking_url(intake.deps, code))) in html  # the QR code is the link
    # another portal's dossier does not exist for it
    assert (await _form(intake, code, "01", portal="portal-b"))[0] == 404


async def test_a_form_exists_once_its_event_happened_and_only_where_it_is_printed(
        intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    status, body, _ = await _form(intake, code, "02")
    assert status == 404 and b"SupplementRequested" in body
    await told(intake, dossier_id, SupplementRequested(
        dossier_code=code, missing=("giay_to_tuy_than",), reason="Ảnh CCCD bị mờ",
        deadline=date(2031, 1, 15)), "processing")
    status, pdf, _ = await _form(intake, code, "supplement-request")
    text = pdf_text(pdf)
    assert status == 200 and "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Ảnh CCCD bị mờ" in text and "ngày 15 tháng 01 năm 2031" in text

    await told(intake, dossier_id, DossierProcessingStopped(
        dossier_code=code, reason="Công dân không bổ sung hồ sơ đúng hạn",
        actor_role="specialist"), "processing")
    status, pdf, _ = await _form(intake, code, "05")  # 2025 set: the stop notice
    assert status == 200 and "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in pdf_text(pdf)

    status, body, _ = await _form(intake, code, "06")  # the control slip: processing's
    assert status == 404 and b"processing" in body
    assert (await _form(intake, code, "09"))[0] == 404


async def test_a_dossier_received_before_1_7_2025_prints_the_2018_forms(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    await intake.pool.execute(  # as if received in March 2025, under the 2018 set
        "UPDATE dossier SET received_at = '2025-03-03 09:00+07' WHERE id = $1", dossier_id)
    await told(intake, dossier_id, DossierApologyIssued(
        dossier_code=code, procedure_name="Đăng ký kết hôn", department_code="tp",
        reason="Cần xác minh thêm tại nơi cư trú", previous_due_date=date(2025, 3, 10),
        new_due_date=date(2025, 3, 14), original_due_date=date(2025, 3, 10),
        issued_on=date(2025, 3, 7), actor_role="leader"), "processing")
    status, pdf, _ = await _form(intake, code, "04")
    text = pdf_text(pdf)
    assert status == 200 and "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Thông tư số 01/2018/TT-VPCP" in text and "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" in text
    assert "ngày 14 tháng 03 năm 2025" in text and "Cần xác minh thêm" in text
    status, pdf, _ = await _form(intake, code, "01")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in pdf_text(pdf)
    status, body, _ = await _form(intake, code, "stop-notice")  # not a form of 2018
    assert status == 404 and b"has no form" in body
    assert uuid.UUID(str(dossier_id))
