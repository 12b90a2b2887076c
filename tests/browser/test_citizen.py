"""The citizen pages in Chromium, on intake served over real HTTP: a citizen tracks a
dossier and rates it; answers a supplement request by uploading a document (without
JavaScript too); prints the receipt, whose PDF holds the Vietnamese title exactly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date

import pytest
from playwright.async_api import expect

from shared.contracts.events import DossierResultReturned, SupplementRequested
from tests.integration.intake.support import PDF, Intake, registered, running_intake, told
from tests.support import serve_http
from tests.unit.test_forms import pdf_text

pytestmark = pytest.mark.integration


@dataclass
class CitizenSite:
    intake: Intake
    url: str

    async def secret(self, code: str) -> str:
        return await self.intake.pool.fetchval(
            "SELECT citizen_secret FROM dossier WHERE code = $1", code)


@pytest.fixture(scope="module")
async def site(postgres_url: str, tmp_path_factory) -> AsyncIterator[CitizenSite]:
    async with running_intake(postgres_url, tmp_path_factory.mktemp("documents")) as intake:
        async with serve_http(intake.app) as url:
            intake.app.state.deps = replace(intake.deps, public_url=url)
            yield CitizenSite(intake, url)


async def _track(page, site: CitizenSite, code: str) -> None:
    await page.goto(f"{site.url}/citizen")
    await page.get_by_label("Mã hồ sơ").fill(code)
    await page.get_by_label("4 số cuối điện thoại của người nộp").fill("5678")
    await page.get_by_role("button", name="Tra cứu").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Hồ sơ {code}")


async def test_a_citizen_tracks_a_dossier_and_rates_it_once(page, site: CitizenSite) -> None:
    code, dossier_id = await registered(site.intake)
    await told(site.intake, dossier_id, DossierResultReturned(
        dossier_code=code, method="online", outcome="approved"), "processing")
    await _track(page, site, code)
    await expect(page.locator("#status")).to_have_text("Đã trả kết quả")
    await expect(page.get_by_text("Nguyễn Thị Hoa")).to_have_count(0)  # nothing personal

    rating = page.locator("#rating")
    await rating.get_by_label("Mã xác thực").fill("SAI0000000")
    await rating.get_by_label("Rất hài lòng").check()
    await rating.get_by_role("button", name="Gửi đánh giá").click()
    await expect(page.get_by_role("alert")).to_contain_text(
        "Mã hồ sơ hoặc mã xác thực không đúng")
    assert await site.intake.events("DossierRated", code) == []

    await page.get_by_role("link", name=f"Quay lại tra cứu hồ sơ {code}").click()
    await page.get_by_label("4 số cuối điện thoại của người nộp").fill("5678")
    await page.get_by_role("button", name="Tra cứu").click()
    rating = page.locator("#rating")
    await rating.get_by_label("Mã xác thực").fill(await site.secret(code))
    await rating.get_by_label("Rất hài lòng").check()
    await rating.get_by_label("Ý kiến (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình")
    await rating.get_by_role("button", name="Gửi đánh giá").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cảm ơn ông/bà đã đánh giá")
    await expect(page.get_by_role("status")).to_contain_text("Rất hài lòng")

    events = await site.intake.events("DossierRated", code)
    assert len(events) == 1 and events[0]["payload"]["rating"] == "very_satisfied"
    assert events[0]["payload"]["comment"] == "Cán bộ hướng dẫn tận tình"
    await _track(page, site, code)
    await expect(page.locator("#rating")).to_contain_text("đã đánh giá hồ sơ này: Rất hài lòng")
    await expect(page.get_by_role("button", name="Gửi đánh giá")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
async def test_a_supplement_request_is_answered_by_uploading_on_the_citizen_page(
        new_page, site: CitizenSite, tmp_path, javascript: bool) -> None:
    page = await new_page(java_script_enabled=javascript)
    code, dossier_id = await registered(site.intake)
    await told(site.intake, dossier_id, SupplementRequested(
        dossier_code=code, missing=("giay_to_tuy_than",), reason="Ảnh CCCD bị mờ",
        deadline=date(2031, 1, 15)), "processing")
    await _track(page, site, code)
    await expect(page.locator("#status")).to_have_text("Chờ bổ sung hồ sơ")
    supplement = page.locator("#supplement")
    await expect(supplement).to_contain_text("trước ngày 15/01/2031")
    item = supplement.get_by_role("listitem")
    await expect(item).to_have_count(1)
    name = (await item.inner_text()).strip()
    scan = tmp_path / "cccd-rõ.pdf"
    scan.write_bytes(PDF + uuid.uuid4().bytes)
    await supplement.get_by_label(f"{name} (PDF, PNG hoặc JPEG)").set_input_files(scan)
    await supplement.get_by_label("Mã xác thực").fill(await site.secret(code))
    await supplement.get_by_label("Ghi chú cho cán bộ (không bắt buộc)").fill("Ảnh rõ hơn")
    await supplement.get_by_role("button", name="Gửi hồ sơ bổ sung").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Đã gửi hồ sơ bổ sung")

    events = await site.intake.events("SupplementProvided", code)
    assert len(events) == 1
    document = events[0]["payload"]["documents"][0]
    assert document["kind"] == "giay_to_tuy_than" and document["filename"] == "cccd-rõ.pdf"
    assert events[0]["payload"]["note"] == "Ảnh rõ hơn"


async def test_the_receipt_printed_from_the_page_is_a_pdf_with_its_qr_link(
        page, site: CitizenSite) -> None:
    code, _ = await registered(site.intake)
    await _track(page, site, code)
    printing = page.locator("#forms")
    await printing.get_by_label("Mã xác thực").fill(await site.secret(code))
    await expect(printing.get_by_label("Giấy tờ")).to_have_value("receipt")
    async with page.expect_download() as download_info:
        await printing.get_by_role("button", name="Tải bản PDF").click()
    download = await download_info.value
    assert download.suggested_filename == f"mau-01-{code}.pdf"
    text = pdf_text((await download.path()).read_bytes())
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and await site.secret(code) in text
    assert f"{site.url}/citizen/track?code={code}" in text.replace(" ", "")


async def test_the_tracking_page_holds_on_a_phone(new_page, site: CitizenSite) -> None:
    from tests.browser.conftest import PHONE_SCREEN

    page = await new_page(viewport=PHONE_SCREEN)
    code, _ = await registered(site.intake)
    await _track(page, site, code)
    await expect(page.locator("#status")).to_have_text("Mới đăng ký")
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # no sideways scrolling
    assert await page.locator("html").get_attribute("lang") == "vi"
