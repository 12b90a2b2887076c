"""Browser fixtures: Debian's headless Chromium driven by Playwright, no browser download.

``make test`` installs Debian's ``chromium`` when /usr/bin/chromium is missing (the Makefile's
``chromium`` target); Playwright only drives it, through ``executable_path``. Every test here
is marked ``browser`` (see :func:`pytest_collection_modifyitems`), so ``-m "not browser"``
runs the rest of the suite on a machine without Chromium, and the rest of the suite never
imports Playwright.

Fixtures (names kept stable, the other faces' tests use them):

- ``chromium_path``: the Chromium binary (``CHROMIUM_PATH`` overrides /usr/bin/chromium);
- ``browser``: one headless Chromium per session (async Playwright ``Browser``);
- ``page``: a fresh context and page per test, 1366×768, Vietnamese locale, Hà Nội time;
- ``new_page``: a factory for more pages in fresh contexts (another officer, a phone).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Headless, no GPU, no network of Chromium's own (updates, sync, QUIC probes, first-run
# pages): the browser talks only to the servers the test started. --no-sandbox because the
# tests run as root in a container, where Chromium's sandbox cannot start.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
OFFICE_SCREEN = {"width": 1366, "height": 768}
PHONE_SCREEN = {"width": 390, "height": 844}
LOCALE, TIMEZONE = "vi-VN", "Asia/Ho_Chi_Minh"
# How long a locator waits for what it looks for (auto-waiting replaces sleeps): generous,
# because two cores are shared by many processes.
EXPECT_TIMEOUT_MS = 15_000

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", DEFAULT_CHROMIUM)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: `make chromium` installs Debian's chromium "
                    "(or set CHROMIUM_PATH); run the rest with -m 'not browser'")
    return path


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Any]:
    """One Chromium for the session. Playwright's ``launch`` gives it a fresh temporary
    profile (its own --user-data-dir) and removes it on close; each test gets its own
    context, so no cookie or storage crosses tests."""
    from playwright.async_api import async_playwright, expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


NewPage = Callable[..., Awaitable[Any]]


@pytest.fixture
async def new_page(browser: Any) -> AsyncIterator[NewPage]:
    """``await new_page(viewport=PHONE_SCREEN, java_script_enabled=False, ...)``: a page in
    a context of its own (keyword arguments go to ``browser.new_context``), closed after
    the test."""
    contexts: list[Any] = []

    async def open_page(**options: Any) -> Any:
        context = await browser.new_context(**{
            "viewport": OFFICE_SCREEN, "locale": LOCALE, "timezone_id": TIMEZONE, **options})
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        return await context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            await context.close()


@pytest.fixture
async def page(new_page: NewPage) -> Any:
    """A page on an office screen (1366×768) in a fresh context."""
    return await new_page()


@pytest.fixture(scope="module")
async def console_stack(postgres_url: str, kafka_bootstrap: str,
                        tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """Processing with its officer console over real HTTP, on the session's broker and
    database (tests/browser/stack.py); ``.submit(...)`` puts a dossier on its queue."""
    from tests.browser.stack import console_stack as started

    async with started(postgres_url, kafka_bootstrap, tmp_path_factory.mktemp("documents")
                       ) as stack:
        yield stack
