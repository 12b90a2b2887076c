"""Intake's timeline is append-only and each dossier's entries form a hash chain: the tests
tamper with the database directly, past the triggers, and ``verify`` names the first bad
entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from enum import Enum

import asyncpg
import pytest

from services.intake import audit
from services.intake.audit import verify_dossier
from services.intake.handlers.forms import dossier_form_html
from shared.contracts.events import SupplementRequested
from shared.runtime.officer_tokens import TokenService
from tests.integration.intake.support import Intake, registered, told
from tests.unit.test_forms import pdf_text

pytestmark = pytest.mark.integration
OFFICER_KEY = "officers-token-key-of-32-characters!"  # a throw-away test key


async def _three_entries(intake: Intake) -> tuple[str, uuid.UUID]:
    code, dossier_id = await registered(intake)
    for reason in ("Ảnh mờ", "Thiếu trang 2"):
        await told(intake, dossier_id, SupplementRequested(
            dossier_code=code, missing=("giay_to_tuy_than",), reason=reason,
            deadline=date(2031, 1, 15)), "processing")
    return code, dossier_id


async def _past_the_triggers(intake: Intake, sql: str, *args: object) -> None:
    """What someone with the database's keys could do: switch the guards off, then write."""
    async with intake.pool.acquire() as conn, conn.transaction():
        await conn.execute("ALTER TABLE dossier_timeline DISABLE TRIGGER USER")
        await conn.execute(sql, *args)
        await conn.execute("ALTER TABLE dossier_timeline ENABLE TRIGGER USER")


async def test_the_timeline_refuses_update_delete_and_truncate(intake: Intake) -> None:
    _, dossier_id = await _three_entries(intake)
    for sql in ("UPDATE dossier_timeline SET detail = '{}' WHERE dossier_id = $1",
                "DELETE FROM dossier_timeline WHERE dossier_id = $1"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await intake.pool.execute(sql, dossier_id)
    with pytest.raises(asyncpg.RaiseError, match="append-only: TRUNCATE"):
        await intake.pool.execute("TRUNCATE dossier_timeline CASCADE")
    assert await intake.pool.fetchval(
        "SELECT count(*) FROM dossier_timeline WHERE dossier_id = $1", dossier_id) == 3


async def test_an_intact_chain_verifies_and_its_head_is_published(intake: Intake) -> None:
    code, dossier_id = await _three_entries(intake)
    async with intake.pool.acquire() as conn:
        report = await verify_dossier(conn, code)
        rows = await conn.fetch("SELECT seq, prev_hash, entry_hash FROM dossier_timeline "
                                "WHERE dossier_id = $1 ORDER BY seq", dossier_id)
    assert report is not None and report.intact and report.entries == 3
    assert [r["seq"] for r in rows] == [1, 2, 3] and rows[0]["prev_hash"] == ""
    assert [r["prev_hash"] for r in rows[1:]] == [r["entry_hash"] for r in rows[:2]]
    view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    tracked = (await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})).json()
    assert view["audit_head"] == tracked["audit_head"] == report.head == rows[-1]["entry_hash"]


@pytest.mark.parametrize(("tamper", "first_bad", "problem"), [
    ("UPDATE dossier_timeline SET detail = detail || '{\"reason\": \"Đã sửa\"}' "
     "WHERE dossier_id = $1 AND seq = 2", 2, "content was edited"),
    ("UPDATE dossier_timeline SET occurred_at = occurred_at - interval '1 day' "
     "WHERE dossier_id = $1 AND seq = 3", 3, "content was edited"),
    ("DELETE FROM dossier_timeline WHERE dossier_id = $1 AND seq = 2", 3, "entry 2 is missing"),
    ("UPDATE dossier_timeline SET seq = 4 WHERE dossier_id = $1 AND seq = 2",  # moved last
     3, "reordered"),
])
async def test_verify_names_the_first_entry_edited_removed_or_reordered(
        intake: Intake, tamper: str, first_bad: int, problem: str) -> None:
    code, dossier_id = await _three_entries(intake)
    async with intake.pool.acquire() as conn:
        before = await verify_dossier(conn, code)
    await _past_the_triggers(intake, tamper, dossier_id)
    async with intake.pool.acquire() as conn:
        report = await verify_dossier(conn, code)
    assert before is not None and before.intact
    assert report is not None and not report.intact
    assert (report.first_bad_seq, problem in str(report.problem)) == (first_bad, True)


async def test_an_edit_rechained_by_hand_still_breaks_the_next_link(intake: Intake) -> None:
    code, dossier_id = await _three_entries(intake)
    await _past_the_triggers(intake, """
        UPDATE dossier_timeline SET detail = '{}', entry_hash = timeline_entry_hash(
            seq, event_id, dossier_id, occurred_at, event_type, producer, status, '{}',
            prev_hash) WHERE dossier_id = $1 AND seq = 2""", dossier_id)
    async with intake.pool.acquire() as conn:
        report = await verify_dossier(conn, code)
    assert report is not None and (report.first_bad_seq, "link" in str(report.problem)) == (
        3, True)


async def test_the_command_exits_1_naming_the_broken_chain(intake: Intake, postgres_url: str,
                                                           monkeypatch, capsys) -> None:
    code, dossier_id = await _three_entries(intake)
    database = await intake.pool.fetchval("SELECT current_database()")
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("INTAKE_DATABASE_NAME", database)
    assert await _in_thread(audit.main, [code]) == 0
    await _past_the_triggers(intake, "DELETE FROM dossier_timeline WHERE dossier_id = $1 "
                             "AND seq = 1", dossier_id)
    assert await _in_thread(audit.main, [code]) == 1
    out = capsys.readouterr().out
    assert '"intact": true' in out and '"first_bad_seq": 2' in out


async def _in_thread(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)


async def test_the_printed_receipt_and_the_tracking_page_show_the_head_now(
        intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    first = await intake.pool.fetchval("SELECT entry_hash FROM dossier_timeline "
                                       "WHERE dossier_id = $1 ORDER BY seq DESC LIMIT 1",
                                       dossier_id)
    *_, html = await dossier_form_html(intake.deps, code, "receipt")
    assert "Mã kiểm chứng nhật ký" in html and first in html and first[:12] in html
    await told(intake, dossier_id, SupplementRequested(
        dossier_code=code, missing=("giay_to_tuy_than",), reason="Ảnh mờ",
        deadline=date(2031, 1, 15)), "processing")
    async with intake.pool.acquire() as conn:
        head = (await verify_dossier(conn, code)).head  # type: ignore[union-attr]
    assert head is not None and head != first
    printed = await intake.send("GET", f"/v1/dossiers/{code}/forms/receipt")
    assert printed.status_code == 200, printed.text
    text = pdf_text(printed.content)
    assert "Mã kiểm chứng nhật ký" in text and head in text.replace("\n", "")
    page = await intake.http.get(f"/citizen/track?code={code}&phone_last4=5678")
    assert page.status_code == 200 and "Mã kiểm chứng nhật ký" in page.text
    assert head in page.text and first not in page.text


@dataclass(frozen=True)
class _Officer:
    """An account as processing issues its tokens for (the token code is shared)."""

    username: str
    department_code: str
    role: Enum
    password_hash: str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"  # noqa: S105 - a shape


class _Role(Enum):
    SPECIALIST = "specialist"


async def test_an_officer_of_the_department_verifies_the_timeline(intake: Intake) -> None:
    code, dossier_id = await _three_entries(intake)
    department = await intake.pool.fetchval(
        "SELECT department_code FROM dossier WHERE id = $1", dossier_id)
    url = f"/v1/officers/dossiers/{code}/timeline/verify"
    assert (await intake.http.get(url)).status_code == 503  # no key given to intake
    tokens = TokenService(OFFICER_KEY, 900)
    intake.app.state.deps = replace(intake.deps, officer_tokens=tokens)

    def bearer(dept: str, key: str = OFFICER_KEY) -> dict[str, str]:
        token = TokenService(key, 900).issue(_Officer(f"{dept}.specialist", dept,
                                                      _Role.SPECIALIST))
        return {"Authorization": f"Bearer {token}"}

    intact = await intake.http.get(url, headers=bearer(department))
    assert intact.status_code == 200, intact.text
    rows = await intake.pool.fetch("SELECT event_id, entry_hash FROM dossier_timeline "
                                   "WHERE dossier_id = $1 ORDER BY seq", dossier_id)
    assert intact.json() == {"chain": "timeline", "dossier_code": code, "ok": True,
                             "entries": 3, "head": rows[-1]["entry_hash"], "first_bad": None}
    await _past_the_triggers(intake, "UPDATE dossier_timeline SET detail = '{}' "
                             "WHERE dossier_id = $1 AND seq = 2", dossier_id)
    broken = (await intake.http.get(url, headers=bearer(department))).json()
    assert broken["ok"] is False and broken["first_bad"] == {
        "position": 2, "entry_id": str(rows[1]["event_id"]),
        "reason": "its content was edited (its hash does not match)"}
    assert (await intake.http.get(url)).status_code == 401
    forged = await intake.http.get(url, headers=bearer(department, "another-key-" + "x" * 32))
    assert forged.status_code == 401
    elsewhere = await intake.http.get(url, headers=bearer("another-department"))
    assert elsewhere.status_code == 404
