"""The harness itself: Debian's Chromium starts headless through Playwright and renders
Vietnamese text as it was sent, so a failure elsewhere in tests/browser is about a page."""

from __future__ import annotations

from playwright.async_api import expect

from tests.support import serve_http

TITLE = "Bộ phận Một cửa — tiếp nhận và trả kết quả"


async def _hello(scope, receive, send) -> None:
    assert scope["type"] == "http"
    body = f"<!doctype html><html lang=vi><title>{TITLE}</title><h1>{TITLE}</h1>".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


async def test_chromium_renders_vietnamese_served_over_http(page, browser) -> None:
    assert browser.version.split(".")[0].isdigit()
    async with serve_http(_hello) as url:
        await page.goto(url)
        await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        assert await page.title() == TITLE
        assert await page.evaluate("navigator.language") == "vi-VN"
