"""The console's session and CSRF defence, over plain HTTP (no browser needed): a form sent
without the secret its signed cookie holds changes nothing, whoever sends it."""

from __future__ import annotations

import re

import httpx

from tests.browser.stack import PASSWORD, ConsoleStack

PAID_NOT_AUTO = "2.000806"  # tp: received by the intake officer


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def _signed_in(stack: ConsoleStack, username: str, **headers: str
                     ) -> tuple[httpx.AsyncClient, httpx.Response]:
    client = httpx.AsyncClient(base_url=stack.url, headers=headers)
    page = await client.get("/console/sign-in")
    answer = await client.post("/console/sign-in", data={
        "username": username, "password": PASSWORD, "csrf_token": _csrf(page.text)})
    assert answer.status_code == 303, answer.text
    return client, answer


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(console_stack
                                                                            ) -> None:
    stack = console_stack
    seeded = stack.submit(PAID_NOT_AUTO, "Hoàng Văn Nam")
    await stack.arrived(seeded)
    client, _ = await _signed_in(stack, "tp.intake")
    try:
        dossier = await client.get(f"/console/dossiers/{seeded.code}")
        assert dossier.status_code == 200
        token = _csrf(dossier.text)
        url = f"/console/dossiers/{seeded.code}/actions/accept"
        for sent in ({}, {"csrf_token": ""}, {"csrf_token": token[:-2] + "xx"}):
            refused = await client.post(url, data=sent)
            assert refused.status_code == 403, sent
            assert "Phiên làm việc không hợp lệ" in refused.text
        assert await stack.status_of(seeded.code) == "registered"

        # Another officer's secret does not fit this officer's cookie either.
        other, _ = await _signed_in(stack, "tp.intake")
        try:
            theirs = _csrf((await other.get(f"/console/dossiers/{seeded.code}")).text)
        finally:
            await other.aclose()
        assert (await client.post(url, data={"csrf_token": theirs})).status_code == 403
        assert await stack.status_of(seeded.code) == "registered"

        done = await client.post(url, data={"csrf_token": token})
        assert done.status_code == 303
        assert await stack.status_of(seeded.code) == "awaiting_fee"
    finally:
        await client.aclose()


async def test_sign_in_itself_needs_the_token(console_stack) -> None:
    async with httpx.AsyncClient(base_url=console_stack.url) as client:
        refused = await client.post("/console/sign-in", data={
            "username": "tp.intake", "password": PASSWORD})
        assert refused.status_code == 403
        assert "mot_cua_console" not in refused.headers.get("set-cookie", "")


async def test_the_session_cookie_is_httponly_lax_and_secure_behind_tls(console_stack
                                                                        ) -> None:
    client, answer = await _signed_in(console_stack, "tp.intake")
    await client.aclose()
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    assert "secure" not in cookie.replace("httponly", "")
    async with httpx.AsyncClient(base_url=console_stack.url) as client:
        behind_proxy = await client.get("/console/sign-in",
                                        headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in behind_proxy.headers["set-cookie"].lower()


async def test_pages_need_a_session_and_a_tampered_cookie_is_none(console_stack) -> None:
    async with httpx.AsyncClient(base_url=console_stack.url) as client:
        answer = await client.get("/console?q=nam")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in?next=/console%3Fq%3Dnam"
        client.cookies.set("mot_cua_console", "eyJjc3JmIjoieCJ9.forged.signature",
                           path="/console")
        assert (await client.get("/console")).status_code == 303
    async with httpx.AsyncClient(base_url=console_stack.url) as client:
        page = await client.get("/console/sign-in")
        wrong = await client.post("/console/sign-in", data={
            "username": "tp.intake", "password": "not-it", "csrf_token": _csrf(page.text)})
        assert wrong.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text


async def test_only_a_document_of_the_officers_own_dossier_is_served_as_stored(console_stack
                                                                               ) -> None:
    stack = console_stack
    genuine, altered = b"%PDF-1.4 don\n", b"%PDF-1.4 ban ve\n"
    seeded = stack.submit(PAID_NOT_AUTO, "Mai Anh Tuấn",
                          documents={"don": genuine, "ban_ve": altered})
    stranger = stack.store(b"%PDF-1.4 not this dossier's\n")
    await stack.arrived(seeded)
    sha = {d.kind: d.sha256 for d in seeded.event.documents}
    (stack.documents / sha["ban_ve"][:2] / sha["ban_ve"]).write_bytes(b"changed on disk")
    base = f"/console/dossiers/{seeded.code}/documents"

    client, _ = await _signed_in(stack, "tp.specialist")
    try:
        shown = await client.get(f"{base}/{sha['don']}")
        assert shown.status_code == 200 and shown.content == genuine
        assert shown.headers["content-disposition"].startswith("inline;")
        assert shown.headers["x-content-type-options"] == "nosniff"
        assert shown.headers["content-security-policy"].startswith("default-src 'none'")
        downloaded = await client.get(f"{base}/{sha['don']}?download=true")
        assert downloaded.headers["content-disposition"] == (
            "attachment; filename*=UTF-8''don.pdf")
        assert "sandbox" in downloaded.headers["content-security-policy"]
        for refused in (f"{base}/{sha['ban_ve']}", f"{base}/{stranger}", f"{base}/../../x"):
            answer = await client.get(refused)
            assert answer.status_code == 404, refused
            assert genuine not in answer.content and b"changed on disk" not in answer.content
    finally:
        await client.aclose()

    other, _ = await _signed_in(stack, "ktht.specialist")  # another department
    try:
        assert (await other.get(f"{base}/{sha['don']}")).status_code == 404
        assert (await other.get(f"/console/dossiers/{seeded.code}")).status_code == 404
    finally:
        await other.aclose()


async def test_the_console_warns_of_an_unconfirmed_holiday_ahead(console_stack) -> None:
    """Issue 19's banner: with the clock in December 2026, Tết 2027 has no confirmed
    announcement, and every signed-in page says so in Vietnamese; on 10/5/2026, with no
    holiday in the next 90 days (2/9 is further), it says nothing."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from shared.reference.calendar import CalendarWatch

    stack = console_stack
    deps = stack.app.state.deps
    try:
        for now, shown in ((datetime(2026, 12, 2, 3, 0, tzinfo=UTC), True),
                           (datetime(2026, 5, 10, 3, 0, tzinfo=UTC), False)):
            stack.app.state.deps = replace(deps, calendar_watch=CalendarWatch(
                deps.calendar, now=lambda at=now: at, horizon_days=90))
            client, _ = await _signed_in(stack, "tp.specialist")
            try:
                page = (await client.get("/console")).text
            finally:
                await client.aclose()
            banner = "Lịch nghỉ Tết Nguyên đán năm 2027 (từ 06/02/2027) chưa có thông báo"
            assert (banner in page) is shown, now
    finally:
        stack.app.state.deps = deps
