"""Intake's citizen pages, without JavaScript (plain form posts): tracking shows nothing
personal; acting needs the receipt's secret; a supplement is uploaded from the page."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from shared.contracts.events import PaymentRequested, SupplementRequested
from tests.integration.intake.support import PDF, Intake, registered, told
from tests.unit.test_forms import pdf_text

pytestmark = pytest.mark.integration
PERSONAL = ("Nguyễn Thị Hoa", "092301004567", "0912345678", "hoa@example.vn", "Đường 3/2")


async def _secret(intake: Intake, code: str) -> str:
    return await intake.pool.fetchval("SELECT citizen_secret FROM dossier WHERE code = $1", code)


async def test_tracking_shows_the_status_and_the_pay_link_and_nothing_personal(
        intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    qr_target = await intake.http.get(f"/citizen/track?code={code}")
    assert qr_target.status_code == 200 and f'value="{code}"' in qr_target.text
    wrong = await intake.http.get(f"/citizen/track?code={code}&phone_last4=1111")
    assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in wrong.text
    await told(intake, dossier_id, PaymentRequested(
        dossier_code=code, payment_id=uuid.uuid4(), amount=150000,
        pay_url="http://payment/v1/pay/tok123"), "payment")
    page = await intake.http.get(f"/citizen/track?code={code}&phone_last4=5678")
    assert page.status_code == 200
    assert "Mới đăng ký" in page.text and 'href="http://payment/v1/pay/tok123"' in page.text
    assert "Rút hồ sơ" in page.text and "Đánh giá" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for personal in PERSONAL:
        assert personal not in page.text
    assert (await intake.http.get("/citizen/static/htmx.min.js")).status_code == 200
    assert (await intake.http.get("/citizen/static/..%2Fsettings.py")).status_code == 404


async def test_a_requested_supplement_is_uploaded_on_the_page_with_the_secret(
        intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    await told(intake, dossier_id, SupplementRequested(
        dossier_code=code, missing=("giay_to_tuy_than", "CCCD của bà Hoa"),
        reason="Ảnh mờ", deadline=date(2031, 1, 15)), "processing")
    page = await intake.http.get(f"/citizen/track?code={code}&phone_last4=5678")
    assert "Bổ sung hồ sơ" in page.text and 'name="document_giay_to_tuy_than"' in page.text
    assert "CCCD của bà Hoa" not in page.text  # an officer's free text stays out
    assert "15/01/2031" in page.text

    files = {"document_giay_to_tuy_than": ("cccd.pdf", PDF, "application/pdf")}
    wrong = await intake.http.post("/citizen/supplement", files=files,
                                   data={"code": code, "secret": "WRONG12345"})
    assert wrong.status_code == 403
    not_pdf = await intake.http.post(
        "/citizen/supplement", data={"code": code, "secret": await _secret(intake, code)},
        files={"document_giay_to_tuy_than": ("cccd.pdf", b"<html>", "application/pdf")})
    assert not_pdf.status_code == 422 and "không phải PDF, PNG hoặc JPEG" in not_pdf.text
    assert await intake.events("SupplementProvided", code) == []

    too_large = await intake.http.post(
        "/citizen/supplement", data={"code": code, "secret": await _secret(intake, code)},
        files={"document_giay_to_tuy_than": ("cccd.pdf", PDF + b"0" * 1_300_000,
                                             "application/pdf")})
    assert too_large.status_code == 413 and "quá lớn" in too_large.text

    sent = await intake.http.post("/citizen/supplement", files=files, data={
        "code": code, "secret": await _secret(intake, code), "note": "Ảnh rõ hơn"})
    assert sent.status_code == 200 and "Đã gửi hồ sơ bổ sung" in sent.text
    events = await intake.events("SupplementProvided", code)
    assert len(events) == 1 and events[0]["payload"]["note"] == "Ảnh rõ hơn"
    assert events[0]["payload"]["documents"][0]["filename"] == "cccd.pdf"
    again = await intake.http.post("/citizen/supplement", data={
        "code": code, "secret": await _secret(intake, code)},
        files={"document_giay_to_tuy_than": ("khac.pdf", PDF + b"2", "application/pdf")})
    assert again.status_code == 409 and "Chờ bổ sung hồ sơ" in again.text


async def test_withdrawal_and_printing_need_the_secret(intake: Intake) -> None:
    code, _ = await registered(intake)
    refused = await intake.http.post("/citizen/withdraw", data={"code": code, "secret": ""})
    assert refused.status_code == 403
    unknown = await intake.http.post("/citizen/forms", data={
        "code": "VTH-000101-9999", "secret": await _secret(intake, code), "form": "receipt"})
    assert unknown.status_code == 403 and "Mã hồ sơ hoặc mã xác thực không đúng" in unknown.text
    assert await intake.events("WithdrawalRequested", code) == []

    receipt = await intake.http.post("/citizen/forms", data={
        "code": code, "secret": await _secret(intake, code), "form": "receipt"})
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    assert "attachment" in receipt.headers["content-disposition"]
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in pdf_text(receipt.content)

    withdrawn = await intake.http.post("/citizen/withdraw", data={
        "code": code, "secret": await _secret(intake, code), "reason": "Nộp nhầm thủ tục"})
    assert withdrawn.status_code == 200 and "Đã gửi đề nghị rút hồ sơ" in withdrawn.text
    events = await intake.events("WithdrawalRequested", code)
    assert len(events) == 1 and events[0]["payload"]["reason"] == "Nộp nhầm thủ tục"
    page = await intake.http.get(f"/citizen/track?code={code}&phone_last4=5678")
    assert 'action="/citizen/withdraw"' not in page.text
