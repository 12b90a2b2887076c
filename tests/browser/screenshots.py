"""``make screenshots``: a PNG of each main screen in docs/screenshots/, for the README.

Starts what the browser tests start (an embedded PostgreSQL and broker on free ports in a
temporary folder, processing with its console), puts a morning's dossiers on the queue,
and photographs each screen in Debian's Chromium on an office screen (1366×768) and on a
phone. ``python -m tests.browser.screenshots docs/screenshots``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import async_playwright

from services.processing.domain.clock import at_risk_until, business_date
from shared.contracts.events import NotificationStatusChanged
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    DEFAULT_CHROMIUM,
    LOCALE,
    OFFICE_SCREEN,
    PHONE_SCREEN,
    TIMEZONE,
)
from tests.browser.console_steps import act, open_dossier, sign_in
from tests.browser.stack import CALENDAR, CATALOG, ConsoleStack, Seeded, console_stack
from tests.support import free_port

BUILDING_PERMIT = "1.009995"  # ktht: received at once, no fee, 10 working days
BY_INTAKE = "VTH-LOCAL-01"  # ktht: received by the intake officer, fee 75 000 đồng
APPLICANTS = ["Nguyễn Thị Mai", "Trần Văn Hùng", "Lê Thị Thu Hà", "Phạm Minh Tuấn",
              "Hoàng Thị Lan", "Võ Quốc Bảo", "Đặng Thị Kim Oanh"]


def _days_ago_due(target: str) -> int:
    """How many days back a building permit was received for its SLA state to be
    ``target`` today (at risk: due within one working day; overdue: due before today)."""
    today = business_date(datetime.now(UTC))
    near = at_risk_until(CALENDAR, today, 1)
    procedure = CATALOG.active().procedure(BUILDING_PERMIT)
    assert procedure is not None
    for days in range(1, 60):
        received = datetime.now(UTC) - timedelta(days=days)
        due = CALENDAR.due_date(received, procedure.committed_days, procedure.cutoff)
        if (target == "at_risk" and today <= due <= near) or (
                target == "overdue" and due < today):
            return days
    raise AssertionError(f"no receipt date makes a building permit {target}")


async def _seed(stack: ConsoleStack) -> Seeded:
    seeded = [stack.submit(BUILDING_PERMIT, name) for name in APPLICANTS[:4]]
    seeded.append(stack.submit(BUILDING_PERMIT, APPLICANTS[4],
                               days_ago=_days_ago_due("at_risk")))
    seeded.append(stack.submit(BUILDING_PERMIT, APPLICANTS[5],
                               days_ago=_days_ago_due("overdue")))
    seeded.append(stack.submit(BY_INTAKE, APPLICANTS[6]))
    featured = stack.submit(BUILDING_PERMIT, "Bùi Thị Ngọc Ánh", helper=(
        "Lê Văn Bình", "Văn phòng công chứng Vĩnh Thạnh"))
    message = uuid.uuid4()
    stack.publish(featured.dossier_id, featured.code, *(NotificationStatusChanged(
        dossier_code=featured.code, message_id=message, channel="email",
        template="dossier_accepted", template_version=1, status=status,
        changed_at=datetime.now(UTC)) for status in ("sending", "delivered")))
    await stack.arrived(*seeded, featured)
    return featured


async def _shoot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    print(f"{folder / name}.png")


async def photograph(stack: ConsoleStack, folder: Path, chromium: str) -> None:
    featured = await _seed(stack)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium,
                                                   args=CHROMIUM_ARGS)
        try:
            office = await (await browser.new_context(
                viewport=OFFICE_SCREEN, locale=LOCALE, timezone_id=TIMEZONE)).new_page()
            await office.goto(f"{stack.console}/sign-in")
            await _shoot(office, folder, "console-sign-in")
            await sign_in(office, stack.console, "ktht.specialist")
            await _shoot(office, folder, "console-queue")
            await open_dossier(office, stack.console, featured.code)
            await act(office, "Bắt đầu xử lý")
            await act(office, "Yêu cầu bổ sung hồ sơ", {"Lý do": ""})
            await _shoot(office, folder, "console-dossier-form-errors")
            await office.goto(f"{stack.console}/dossiers/{featured.code}")
            await _shoot(office, folder, "console-dossier")
            await office.get_by_role("button", name="Đăng xuất").click()
            await sign_in(office, stack.console, "ktht.approver")
            await office.get_by_role("link", name="Sắp đến hạn, quá hạn").click()
            await office.locator("details.action summary").first.click()
            await _shoot(office, folder, "console-at-risk")

            phone = await (await browser.new_context(
                viewport=PHONE_SCREEN, locale=LOCALE, timezone_id=TIMEZONE,
                is_mobile=True, has_touch=True)).new_page()
            await sign_in(phone, stack.console, "ktht.specialist")
            await _shoot(phone, folder, "console-queue-phone")
            await open_dossier(phone, stack.console, featured.code)
            await _shoot(phone, folder, "console-dossier-phone")
        finally:
            await browser.close()


async def photograph_citizen(postgres_url: str, base: Path, folder: Path,
                             chromium: str) -> None:
    """The citizen's pages, served by intake: tracking a dossier whose fee is due and whose
    office asks for a supplement (the pay link and the upload form show), on an office screen
    and on a phone."""
    from dataclasses import replace
    from decimal import Decimal

    from shared.contracts.events import PaymentRequested, SupplementRequested
    from tests.integration.intake.support import registered, running_intake, told
    from tests.support import serve_http

    (base / "citizen").mkdir(exist_ok=True)
    async with running_intake(postgres_url, base / "citizen") as intake, \
            serve_http(intake.app) as url:
        intake.app.state.deps = replace(intake.deps, public_url=url)
        code, dossier_id = await registered(intake)
        await told(intake, dossier_id, PaymentRequested(
            dossier_code=code, payment_id=uuid.uuid4(), amount=Decimal(75000),
            pay_url="http://127.0.0.1:8003/v1/pay/example"), "payment")
        await told(intake, dossier_id, SupplementRequested(
            dossier_code=code, missing=("giay_to_tuy_than",), reason="Ảnh CCCD bị mờ",
            deadline=business_date(datetime.now(UTC)) + timedelta(days=10)), "processing")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium,
                                                       args=CHROMIUM_ARGS)
            try:
                for name, viewport, mobile in (("citizen", OFFICE_SCREEN, False),
                                               ("citizen-phone", PHONE_SCREEN, True)):
                    page = await (await browser.new_context(
                        viewport=viewport, locale=LOCALE, timezone_id=TIMEZONE,
                        is_mobile=mobile, has_touch=mobile)).new_page()
                    await page.goto(f"{url}/citizen")
                    if not mobile:
                        await _shoot(page, folder, "citizen-search")
                    await page.get_by_label("Mã hồ sơ").fill(code)
                    await page.get_by_label("4 số cuối điện thoại của người nộp").fill("5678")
                    await page.get_by_role("button", name="Tra cứu").click()
                    await page.get_by_role("heading", level=1, name=f"Hồ sơ {code}").wait_for()
                    await _shoot(page, folder, f"{name}-dossier")
            finally:
                await browser.close()


async def main(folder: Path, base: Path) -> None:
    from deploy.local.broker import EmbeddedBroker
    from deploy.local.postgres import EmbeddedPostgres

    with EmbeddedPostgres(base / "postgres", free_port(), log_dir=base) as postgres, \
            EmbeddedBroker(free_port(), log_dir=base) as broker:
        async with console_stack(postgres.url, broker.bootstrap_servers,
                                 base / "documents") as stack:
            await photograph(stack, folder, DEFAULT_CHROMIUM)
        await photograph_citizen(postgres.url, base, folder, DEFAULT_CHROMIUM)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mot-cua-shots-") as tmp:
        (Path(tmp) / "documents").mkdir()
        asyncio.run(main(target, Path(tmp)))
