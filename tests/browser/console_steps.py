"""What an officer does in the console, as steps the browser tests (and make screenshots)
share: sign in, find a dossier, take an action."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser.stack import PASSWORD


async def sign_in(page: Any, console: str, username: str) -> None:
    await page.goto(f"{console}/sign-in")
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", name="Hàng đợi hồ sơ")).to_be_visible()


async def sign_out(page: Any) -> None:
    await page.get_by_role("button", name="Đăng xuất").click()
    await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()


async def open_dossier(page: Any, console: str, code: str) -> None:
    await page.goto(f"{console}/dossiers/{code}")
    await expect(page.get_by_role("heading", name=f"Hồ sơ {code}")).to_be_visible()


async def act(page: Any, action_label: str, fill: dict[str, str] | None = None) -> None:
    """Open an action's form, fill its fields by label, and send it."""
    form = page.locator("details.action").filter(
        has=page.locator("summary", has_text=action_label))
    await form.locator("summary").click()
    for label, value in (fill or {}).items():
        await form.get_by_label(label).fill(value)
    await form.get_by_role("button", name=action_label).click()


def status(page: Any) -> Any:
    return page.locator("dd.status")
