"""Reporting's HTTP edge on a read model fed through the real broker: the indicators as JSON,
the periodic report as CSV and XLSX, the Vietnamese dashboard with its SVG charts, and the
what-if as JSON and as a page. The app is the service's routers and error table, without its
lifespan (ASGITransport sends none): the dependencies are the test's."""

from __future__ import annotations

import csv
import io
import unicodedata
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from services.reporting.bootstrap import SPEC
from shared.runtime.service import install_errors
from tests.integration.reporting.test_reporting_rebuild import published
from tests.support import assert_documented

pytestmark = pytest.mark.integration


@pytest.fixture
async def http(deps) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_errors(app, SPEC.errors)
    for router in SPEC.routers:
        app.include_router(router)
    app.state.deps = deps
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://reporting") as client:
        yield client


@pytest.fixture
async def code(live, pool) -> str:
    agency = f"H{uuid.uuid4().hex[:5].upper()}"
    await published(live, pool, agency)
    return agency


async def test_indicators_json_by_month_quarter_and_filters(http, code) -> None:
    r = await http.get("/v1/indicators", params={"agency": code, "from": "2025-02-01",
                                                 "to": "2025-04-30", "period": "month"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(p["period"], p["indicators"]["received"]) for p in body["periods"]] == [
        ("2025-02", 0), ("2025-03", 10), ("2025-04", 0)]
    assert body["periods"][2]["indicators"]["carried_over"] == 3
    assert body["total"]["on_time_rate"] == 0.8
    tp = await http.get("/v1/indicators", params={"agency": code, "department": "tp",
                                                  "from": "2025-03-01", "to": "2025-03-31",
                                                  "period": "quarter"})
    assert [p["period"] for p in tp.json()["periods"]] == ["2025-Q1"]
    assert tp.json()["total"]["resolved"] == 4
    one = await http.get("/v1/indicators", params={"agency": code, "procedure": "1.009995",
                                                   "from": "2025-03-01", "to": "2025-03-31"})
    assert (one.json()["total"]["resolved"], one.json()["total"]["early"]) == (1, 1)


async def test_bad_periods_are_refused_with_a_reason(http, code) -> None:
    backwards = await http.get("/v1/indicators", params={"from": "2025-03-02",
                                                         "to": "2025-03-01"})
    assert backwards.status_code == 422
    assert "after" in backwards.json()["detail"]
    weekly = await http.get("/v1/indicators", params={"period": "week"})
    assert weekly.status_code == 422
    assert weekly.json()["detail"][0]["loc"] == ["query", "period"]


@pytest.mark.parametrize("path", ["/v1/indicators", "/v1/indicators.csv",
                                  "/v1/indicators.xlsx", "/v1/what-if", "/"])
async def test_a_refused_period_is_the_422_the_openapi_documents(http, path: str) -> None:
    """Found by the API fuzzing: ?from=3451-08-25 answered 422 with a sentence for `detail`,
    where the OpenAPI promised only FastAPI's list of invalid parameters."""
    procedure = {"procedure": "2.002189"} if path == "/v1/what-if" else {}
    for params in ({"from": "3451-08-25"}, {"from": "2025-13-01"}):
        refused = await http.get(path, params={**procedure, **params})
        assert refused.status_code == 422, refused.text
        assert_documented("reporting", "GET", path, refused)


async def test_the_periodic_report_as_csv_and_xlsx(http, code) -> None:
    params = {"agency": code, "from": "2025-03-01", "to": "2025-03-31"}
    r = await http.get("/v1/indicators.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"]
    header, rows = lines[3], lines[4:]
    assert header[:4] == ["STT", "Cấp", "Mã", "Tên"]
    total = dict(zip(header, rows[-1], strict=True))
    assert (total["Cấp"], total["Số hồ sơ nhận giải quyết: Tiếp nhận trong kỳ"],
            total["Kết quả giải quyết: Quá hạn"]) == ("Tổng cộng", "10", "1")
    assert [r[2] for r in rows[:-1]] == ["ktht", "tp", "1.009995", "2.000748", "2.000806",
                                         "2.002189"]

    x = await http.get("/v1/indicators.xlsx", params=params)
    assert x.status_code == 200
    book = load_workbook(io.BytesIO(x.content))
    assert book.sheetnames == ["Báo cáo", "Theo kỳ", "Công thức"]
    by_period = book["Theo kỳ"]
    assert [c.value for c in by_period[2][:5]] == ["2025-03", "2025-03-01", "2025-03-31", 0,
                                                   10]
    assert ("satisfaction_rate", "Có") in [(r[0].value, r[3].value)
                                           for r in book["Công thức"].iter_rows(min_row=2)]
    sheet = book.active
    assert sheet["A1"].value.startswith("BÁO CÁO")
    assert (sheet["E5"].value, sheet["E6"].value) == ("Số hồ sơ nhận giải quyết",
                                                      "Từ kỳ trước chuyển qua")
    last = sheet.max_row
    assert sheet.cell(last, 2).value == "Tổng cộng"
    assert sheet.cell(last, 6).value == 10  # received
    rate = sheet.cell(last, 12)  # on_time_rate
    assert (rate.value, rate.number_format) == (0.8, "0.0%")


async def test_the_dashboard_is_vietnamese_with_server_rendered_charts(http, code) -> None:
    r = await http.get("/", params={"agency": code, "from": "2025-03-01", "to": "2025-03-31"})
    assert r.status_code == 200
    html = r.text
    assert html == unicodedata.normalize("NFC", html)
    assert '<html lang="vi">' in html and "<script" not in html
    assert html.count("<svg") == 6
    for title in ("Tỷ lệ giải quyết đúng và trước hạn theo kỳ",
                  "Tỷ lệ đúng và trước hạn theo phòng chuyên môn",
                  "Số ngày làm việc rút ngắn so với thời hạn quy định (cam kết)",
                  "Kênh nộp, thanh toán và trả kết quả"):
        assert title in html
    assert "80,0 %" in html  # the on-time rate
    assert "Phòng Tư pháp" in html  # a department by its name
    assert "/v1/indicators.xlsx?" in html
    # the form as a browser sends it: the fields left empty are no filter
    sent = await http.get("/", params={"agency": code, "department": "", "procedure": "",
                                       "from": "2025-03-01", "to": "2025-03-31",
                                       "period": "month"})
    assert sent.status_code == 200 and "80,0 %" in sent.text


async def test_what_if_as_json_and_as_a_page(http, code) -> None:
    params = {"agency": code, "procedure": "2.002189", "days": "5", "from": "2025-03-01",
              "to": "2025-03-31"}
    r = await http.get("/v1/what-if", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["decided"], len(body["late_now"]), len(body["late_proposed"])) == (4, 1, 4)
    page = await http.get("/what-if", params=params)
    assert page.status_code == 200
    assert "quá hạn theo đề xuất: 4" in page.text
    assert body["late_now"][0] in page.text
    bad = await http.get("/v1/what-if", params={"procedure": "2.002189"})
    assert bad.status_code == 422
    assert "either a number of days" in bad.json()["detail"]
    bad_page = await http.get("/what-if", params={"procedure": "2.002189", "days": "-1"})
    assert bad_page.status_code == 422


async def test_an_empty_read_model_answers_with_empty_figures(http) -> None:
    page = await http.get("/")
    assert page.status_code == 200 and "Chưa có số liệu" in page.text
    body = (await http.get("/v1/indicators", params={"period": "year"})).json()
    assert (body["total"]["received"], body["total"]["on_time_rate"]) == (0, None)


async def _run(settings, *args: str) -> str:
    import asyncio
    import os
    import sys

    env = {**os.environ, "DATABASE_URL": settings.database_url,
           "REPORTING_DATABASE_NAME": settings.database_name,
           "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.reporting", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_the_command_line_what_if_and_rebuild(code, pool, settings) -> None:
    import json

    text = await _run(settings, "what-if", "--procedure", "2.002189", "--days", "5",
                      "--agency", code,
                      "--from", "2025-03-01", "--to", "2025-03-31")
    assert "late now: 1  late under the proposal: 4" in text
    answer = json.loads(await _run(settings, "what-if", "--procedure", "2.002189", "--days",
                                   "8", "--agency", code, "--from", "2025-03-01", "--to",
                                   "2025-03-31",
                                   "--json"))
    assert len(answer["late_proposed"]) == 1 and answer["proposed_days"] == 8

    from services.reporting.repository import builds

    before = await builds.current(pool)
    out = await _run(settings, "rebuild")
    after = await builds.current(pool)
    assert after != before and f"rebuilt {after}" in out and f"replaced {before}" in out
