"""Reporting's dashboard and what-if page in Chromium (issue 14), on a read model fed through
the real broker: the form filters as a citizen's browser sends it, the charts are drawn, and
the what-if for 2.002189 at 5 days lists the dossiers that would have been late."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from playwright.async_api import expect

from services.reporting.bootstrap import SPEC
from shared.runtime.service import install_errors
from tests.integration.conftest import database_url
from tests.integration.reporting.conftest import deps, live, pool, settings, topics
from tests.integration.reporting.test_reporting_rebuild import published
from tests.support import serve_http

__all__ = ["database_url", "deps", "live", "pool", "settings", "topics"]  # fixtures, reused
pytestmark = pytest.mark.integration


@pytest.fixture
async def dashboard(deps, live, pool) -> AsyncIterator[tuple[str, str]]:
    agency = f"H{uuid.uuid4().hex[:5].upper()}"
    await published(live, pool, agency)
    app = FastAPI()
    install_errors(app, SPEC.errors)
    for router in SPEC.routers:
        app.include_router(router)
    app.state.deps = deps
    async with serve_http(app) as url:
        yield url, agency


async def test_the_dashboard_filters_and_draws_in_a_browser(page, dashboard) -> None:
    url, agency = dashboard
    await page.goto(f"{url}/?agency={agency}")
    form = page.locator("form").first
    await form.get_by_label("Từ ngày").fill("2025-03-01")
    await form.get_by_label("Đến ngày").fill("2025-03-31")
    await form.get_by_role("button").first.click()
    await expect(page.get_by_text("80,0 %").first).to_be_visible()
    assert await page.locator("svg").count() == 6
    assert "Phòng Tư pháp" in await page.content()  # a department by its name, in a chart
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    await page.goto(f"{url}/what-if?agency={agency}&procedure=2.002189&days=5"
                    "&from=2025-03-01&to=2025-03-31")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert f"{agency}-" in await page.content()  # the dossiers, by their codes
