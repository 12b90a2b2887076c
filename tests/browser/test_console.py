"""The officer console in a real browser, on processing as it runs (real broker and
PostgreSQL): an officer signs in, finds a dossier by a name typed without diacritics, and
walks it from acceptance to approval with a result document; somebody acting first is a
message, not an error page; the queue refreshes itself; the apology is written where the
late dossiers are listed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
from playwright.async_api import expect

from services.processing.domain.clock import business_date
from shared.contracts.events import (
    NotificationStatusChanged,
    PaymentCompleted,
    PaymentRequested,
    ShipmentStatusChanged,
)
from tests.browser.conftest import OFFICE_SCREEN, PHONE_SCREEN
from tests.browser.console_steps import act, open_dossier, sign_in, sign_out, status
from tests.browser.stack import CATALOG, PDF, ConsoleStack, next_working_day
from tests.support import wait_until

PAID_NOT_AUTO = "2.000806"  # tp: received by the intake officer, fee 1 000 000 đồng
AUTO_PAID = "2.000748"  # tp: received at once, fee 28 000 đồng
AUTO_FREE = "1.009995"  # ktht: received at once, no fee, 10 working days


async def _is(stack: ConsoleStack, code: str, expected: str) -> bool:
    return await stack.status_of(code) == expected


async def test_an_officer_walks_a_dossier_from_acceptance_to_approval(page, console_stack
                                                                      ) -> None:
    stack = console_stack
    seeded = stack.submit(PAID_NOT_AUTO, "Trần Thị Ngọc Ánh", helper=(
        "Lê Văn Bình", "Văn phòng công chứng Vĩnh Thạnh"), documents={
        "don_de_nghi": PDF, "ban_sao_cccd": PDF + b"% cccd\n"})
    decoy = stack.submit(PAID_NOT_AUTO, "Trần Thị Ngọc Anh Thư")
    await stack.arrived(seeded, decoy)

    await sign_in(page, stack.console, "tp.intake")
    await page.get_by_label("Tìm theo mã hồ sơ hoặc tên người nộp").fill("tran thi ngoc anh")
    await page.get_by_role("button", name="Lọc").click()
    rows = page.locator("table.queue tbody tr")
    await expect(rows.filter(has_text=seeded.code)).to_have_count(1)
    await rows.filter(has_text=seeded.code).get_by_role("link").click()

    await expect(page.get_by_role("heading", name=f"Hồ sơ {seeded.code}")).to_be_visible()
    await expect(status(page)).to_have_text("Mới đăng ký")
    await expect(page.locator("dd.applicant")).to_have_text("Trần Thị Ngọc Ánh")
    await expect(page.locator("dd.submitter")).to_have_text(
        "Nộp hộ: Lê Văn Bình (Văn phòng công chứng Vĩnh Thạnh)")
    document = page.locator(".documents li").filter(has_text="ban_sao_cccd.pdf")
    href = await document.get_by_role("link", name="Xem").get_attribute("href")
    opened = await page.request.get(f"{stack.url}{href}")  # the browser's session
    assert opened.status == 200 and await opened.body() == PDF + b"% cccd\n"

    await act(page, "Tiếp nhận hồ sơ")
    await expect(page.get_by_role("status")).to_have_text("Đã tiếp nhận hồ sơ.")
    await expect(status(page)).to_have_text("Chờ thanh toán phí, lệ phí")
    await expect(page.locator("dd.fee")).to_contain_text("1.000.000 đồng — chưa thanh toán")

    payment = uuid.uuid4()  # what payment publishes once the citizen has paid
    stack.publish(seeded.dossier_id, seeded.code,
                  PaymentRequested(dossier_code=seeded.code, payment_id=payment,
                                   amount=Decimal(1_000_000)),
                  PaymentCompleted(dossier_code=seeded.code, payment_id=payment,
                                   amount=Decimal(1_000_000), gateway_transaction_id="1467"))
    await wait_until(lambda: _is(stack, seeded.code, "accepted"), timeout=30,
                     description="processing has read the payment")
    await page.reload()
    await expect(status(page)).to_have_text("Đã tiếp nhận")
    await expect(page.locator("dd.fee")).to_contain_text("đã thanh toán")
    await expect(page.locator("tr.report-payment")).to_contain_text("Đã thanh toán")
    await sign_out(page)

    await sign_in(page, stack.console, "tp.specialist")
    await open_dossier(page, stack.console, seeded.code)
    await act(page, "Bắt đầu xử lý")
    await expect(status(page)).to_have_text("Đang xử lý")
    form = page.locator("#action-propose")
    await form.locator("summary").click()
    await form.get_by_label("Chấp thuận").check()
    await form.get_by_role("button", name="Trình lãnh đạo").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Đã trình lãnh đạo kết quả giải quyết.")
    await expect(page.get_by_role("button", name="Phê duyệt và ban hành kết quả")
                 ).to_have_count(0)  # only the approver decides
    await sign_out(page)

    await sign_in(page, stack.console, "tp.approver")
    await open_dossier(page, stack.console, seeded.code)
    await act(page, "Phê duyệt và ban hành kết quả")  # without the result document
    await expect(page.locator("#approve-result_document-error")).to_have_text(
        "Vui lòng đính kèm văn bản kết quả (PDF, JPEG hoặc PNG).")
    approve = page.locator("#action-approve")
    await approve.get_by_label("Văn bản kết quả").set_input_files(files=[{
        "name": "giay-chung-nhan.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    await approve.get_by_role("button", name="Phê duyệt và ban hành kết quả").click()
    await expect(page.get_by_role("status")).to_have_text("Đã phê duyệt và ban hành kết quả.")
    await expect(status(page)).to_have_text("Đã trả kết quả")
    result = await page.request.get(f"{stack.console}/dossiers/{seeded.code}/result-document")
    assert result.status == 200 and await result.body() == PDF

    trail = page.locator("table.audit tbody tr")
    await expect(trail.filter(has_text="tp.intake")).to_contain_text(
        ["Cán bộ một cửa"])
    await expect(trail.filter(has_text="Phê duyệt kết quả")).to_contain_text(
        "tp.approver (Lãnh đạo)")
    await expect(trail.filter(has_text="Phê duyệt kết quả")).to_contain_text(
        "Đang xử lý → Đã xử lý xong")
    assert await stack.status_of(seeded.code) == "result_returned"


async def test_somebody_acting_first_is_a_message_not_an_error_page(new_page, console_stack
                                                                    ) -> None:
    stack = console_stack
    seeded = stack.submit(PAID_NOT_AUTO, "Phạm Quốc Huy")
    await stack.arrived(seeded)
    first, second = await new_page(), await new_page()
    for officer in (first, second):
        await sign_in(officer, stack.console, "tp.intake")
        await open_dossier(officer, stack.console, seeded.code)

    await act(first, "Tiếp nhận hồ sơ")
    await expect(first.get_by_role("status")).to_have_text("Đã tiếp nhận hồ sơ.")
    async with second.expect_response(lambda r: r.request.method == "POST") as answer:
        await act(second, "Tiếp nhận hồ sơ")
    assert (await answer.value).status == 409
    await expect(second.get_by_role("alert")).to_contain_text(
        "Hồ sơ vừa được người khác xử lý trước bạn")
    await expect(status(second)).to_have_text("Chờ thanh toán phí, lệ phí")
    await expect(second.get_by_role("button", name="Tiếp nhận hồ sơ")).to_have_count(0)


async def test_the_queue_refreshes_itself_when_new_work_arrives(page, console_stack) -> None:
    stack = console_stack
    await sign_in(page, stack.console, "tp.specialist")
    arrived = stack.submit(AUTO_PAID, "Đỗ Minh Khôi")
    # No reload: htmx asks for the queue again every second (PROCESSING_CONSOLE_REFRESH_S).
    await expect(page.locator("table.queue").get_by_role("link", name=arrived.code)
                 ).to_be_visible()


async def test_the_apology_is_written_where_late_dossiers_are_listed(page, console_stack
                                                                     ) -> None:
    stack = console_stack
    late = stack.submit(AUTO_FREE, "Vũ Thị Hồng Nhung", days_ago=21)
    await stack.arrived(late)
    await sign_in(page, stack.console, "ktht.approver")
    await page.get_by_role("link", name="Sắp đến hạn, quá hạn").click()
    entry = page.locator(".risk-list > li").filter(has_text=late.code)
    await expect(entry.locator(".sla")).to_have_text("Quá hạn")

    await entry.locator("summary").click()
    await entry.get_by_label("Lý do chậm trả kết quả").fill("Cần xác minh thêm hồ sơ gốc")
    await entry.get_by_label("Ngày hẹn trả kết quả mới").fill("2020-01-06")
    await entry.get_by_role("button", name="Xin lỗi và hẹn lại ngày trả kết quả").click()
    error = page.locator("#issue_apology-new_due_date-error")
    await expect(error).to_contain_text("Ngày phải trong khoảng")  # on the dossier's page

    new_date = next_working_day(business_date(datetime.now(UTC)))
    await page.get_by_role("link", name="Sắp đến hạn, quá hạn").click()
    await entry.locator("summary").click()
    await entry.get_by_label("Lý do chậm trả kết quả").fill("Cần xác minh thêm hồ sơ gốc")
    await entry.get_by_label("Ngày hẹn trả kết quả mới").fill(new_date.isoformat())
    await entry.get_by_role("button", name="Xin lỗi và hẹn lại ngày trả kết quả").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Đã ký phiếu xin lỗi và hẹn lại ngày trả kết quả.")
    await expect(entry.locator(".sla")).to_have_text("Sắp đến hạn")  # due the next working day
    await open_dossier(page, stack.console, late.code)
    await expect(page.locator("dd.due")).to_have_text(f"{new_date:%d/%m/%Y}")
    await expect(page.locator("table.audit tbody tr").last).to_contain_text(
        "Cần xác minh thêm hồ sơ gốc")


async def test_without_javascript_an_officer_still_finds_and_accepts(new_page, console_stack
                                                                     ) -> None:
    stack = console_stack
    seeded = stack.submit(PAID_NOT_AUTO, "Ngô Thị Thanh Hương")
    await stack.arrived(seeded)
    page = await new_page(java_script_enabled=False)
    await sign_in(page, stack.console, "tp.intake")
    await page.get_by_label("Tìm theo mã hồ sơ hoặc tên người nộp").fill("ngo thi thanh huong")
    await page.get_by_role("button", name="Lọc").click()
    await page.get_by_role("link", name=seeded.code).click()
    required = seeded.event.documents[0]  # named as the catalog names it
    procedure = CATALOG.version(seeded.event.catalog_version).procedure(PAID_NOT_AUTO)
    name = next(d.name for d in procedure.required_documents if d.kind == required.kind)
    await expect(page.locator(".documents li").filter(has_text=required.filename)
                 ).to_contain_text(name)
    await act(page, "Tiếp nhận hồ sơ")  # <details> opens without a script
    await expect(page.get_by_role("status")).to_have_text("Đã tiếp nhận hồ sơ.")
    await expect(status(page)).to_have_text("Chờ thanh toán phí, lệ phí")


async def test_what_payment_postal_and_notification_report_is_shown(page, console_stack
                                                                    ) -> None:
    stack = console_stack
    seeded = stack.submit(AUTO_PAID, "Lý Thị Bích Ngọc")
    # The other services speak of a dossier processing holds: their topics keep no order
    # with dossier.events, so the case comes first here as it does in the system.
    await stack.arrived(seeded)
    shipment, message = uuid.uuid4(), uuid.uuid4()
    at = datetime.now(UTC)
    stack.publish(seeded.dossier_id, seeded.code, ShipmentStatusChanged(
        dossier_code=seeded.code, shipment_id=shipment, carrier="vnpost",
        tracking_code="EB123456789VN", status="delivering", changed_at=at),
        NotificationStatusChanged(
            dossier_code=seeded.code, message_id=message, channel="sms",
            template="dossier_accepted", template_version=1, status="sending", changed_at=at),
        NotificationStatusChanged(
            dossier_code=seeded.code, message_id=message, channel="sms",
            template="dossier_accepted", template_version=1, status="delivered",
            changed_at=at + timedelta(seconds=5)))
    await wait_until(lambda: _reported(stack, seeded, 3), timeout=30,
                     description="the reports recorded")
    await sign_in(page, stack.console, "tp.specialist")
    await open_dossier(page, stack.console, seeded.code)
    await expect(page.locator("tr.report-shipment")).to_contain_text("Đang giao")
    await expect(page.locator("tr.report-shipment")).to_contain_text("EB123456789VN")
    messages = page.locator("tr.report-message")
    await expect(messages).to_have_count(1)  # the message's latest state only
    await expect(messages).to_contain_text("Thông báo qua tin nhắn SMS")
    await expect(messages).to_contain_text("“Hồ sơ đã được tiếp nhận”")
    await expect(messages).to_contain_text("Đã đến người nhận")


async def _reported(stack: ConsoleStack, seeded, count: int) -> bool:
    conn = await asyncpg.connect(stack.db)
    try:
        return await conn.fetchval("SELECT count(*) FROM case_activity WHERE dossier_id = $1",
                                   seeded.dossier_id) >= count
    finally:
        await conn.close()


async def test_the_layout_holds_on_an_office_screen_and_on_a_phone(new_page, console_stack
                                                                   ) -> None:
    stack = console_stack
    seeded = stack.submit(PAID_NOT_AUTO, "Trịnh Công Sơn Hải Đăng Nguyễn Phước Vĩnh Thụy")
    await stack.arrived(seeded)
    for screen in (OFFICE_SCREEN, PHONE_SCREEN):
        page = await new_page(viewport=screen)
        await sign_in(page, stack.console, "tp.approver")
        for path in ("", f"/dossiers/{seeded.code}", "/at-risk"):
            await page.goto(f"{stack.console}{path}")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path or '/'} is {overflow}px too wide at {screen}"
        await expect(page.get_by_role("heading", level=1)).to_be_in_viewport()


async def test_the_queue_sorts_by_due_date_pages_and_filters_by_sla_state(page, console_stack
                                                                          ) -> None:
    stack = console_stack
    transfer_school = "2.002481"  # gddt: received at once, no fee, 5 working days
    seeded = [stack.submit(transfer_school, f"Học sinh số {n}", days_ago=n % 12)
              for n in range(23)]
    await stack.arrived(*seeded)
    await sign_in(page, stack.console, "gddt.specialist")
    await page.get_by_label("Sắp xếp").select_option("due_date")
    await page.get_by_role("button", name="Lọc").click()

    async def due_dates() -> list[str]:
        cells = await page.locator("table.queue td[data-label='Hạn trả']").all_inner_texts()
        return [f"{d[6:]}{d[3:5]}{d[:2]}" for d in cells]  # dd/mm/yyyy -> yyyymmdd

    first = await due_dates()
    assert len(first) == 20 and first == sorted(first)
    await expect(page.locator(".pages")).to_contain_text("Trang 1 / 2")
    await page.get_by_role("link", name="Trang sau ›").click()
    second = await due_dates()
    assert len(second) == 3 and first[-1] <= second[0]

    overdue = page.locator("a.count.sla-overdue")
    expected = int(await overdue.locator(".n").inner_text())
    assert expected > 0
    await overdue.click()
    badges = page.locator("table.queue .sla")
    await expect(badges).to_have_count(min(expected, 20))
    assert set(await badges.all_inner_texts()) == {"Quá hạn"}
