"""Open dossiers follow a late announcement, on a real database (issue 19): after a day off
is added their dates move later, told with the announcement; after a make-up Saturday they
stay as promised; dossiers written before calendars had versions are counted again from the
calendar the migration recorded; replicas recounting at once tell each move once."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date, datetime

import pytest

from services.processing.handlers.calendar import recompute_deadlines, record_calendar
from shared.reference.workdays import (
    BUSINESS_TZ,
    Announcement,
    Period,
    Source,
    Status,
    WorkingCalendar,
)
from tests.integration.processing.support import (
    CALENDAR,
    FREE_AUTO,
    OWN,
    REGISTERED_ONLY,
    act,
    submit,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
async def started(deps) -> None:
    """As processing's start-up does: the calendar in force is recorded before any write."""
    await record_calendar(deps)

SOURCE = Source(document="99/TB-BNV", date=date(2026, 12, 3), issuer="Bộ Nội vụ",
                status=Status.CONFIRMED)
DAY_OFF = CALENDAR.with_announcement(2026, Announcement(
    source=SOURCE, periods=(Period.OTHER,), summary="Mon 7/12/2026 off",
    days_off=({"date": date(2026, 12, 7), "name": "Nghỉ đột xuất"},)))  # type: ignore[arg-type]
MAKEUP = CALENDAR.with_announcement(2026, Announcement(
    source=SOURCE, periods=(Period.OTHER,), summary="Sat 5/12/2026 worked",
    working_days=({"date": date(2026, 12, 5), "name": "Làm việc bù"},)))  # type: ignore[arg-type]
RECEIVED = datetime(2026, 12, 2, 10, tzinfo=BUSINESS_TZ)


async def row(pool, code: str):
    return await pool.fetchrow("""SELECT due_date, statutory_due_date, original_due_date,
                                         calendar_version FROM dossier_case WHERE code = $1""",
                               code)


async def recomputed(pool) -> list[dict]:
    rows = await pool.fetch("SELECT payload FROM outbox_message WHERE topic = 'dossier.events'"
                            " ORDER BY id")
    envelopes = [json.loads(bytes(r["payload"])) for r in rows]
    return [e for e in envelopes if e["event_type"] == "DossierDeadlineRecomputed"]


async def test_an_added_day_off_moves_open_dossiers_later_and_says_why(deps, pool, clock,
                                                                       http) -> None:
    clock.now = RECEIVED
    code, closed = await submit(deps, FREE_AUTO), await submit(deps, REGISTERED_ONLY)
    refused = await act(http, closed, OWN, "intake", {"action": "refuse_at_intake",
                                                      "reason": "Không thuộc thẩm quyền"})
    assert refused.status_code == 200, refused.text
    closed_before = await row(pool, closed)
    before = await row(pool, code)
    assert before["calendar_version"] == CALENDAR.version
    assert before["due_date"] == CALENDAR.due_date(RECEIVED, 10)

    later = replace(deps, calendar=DAY_OFF)
    assert await recompute_deadlines(later) == 1
    assert await row(pool, closed) == closed_before  # a closed dossier keeps its calendar
    after = await row(pool, code)
    assert after["due_date"] == DAY_OFF.due_date(RECEIVED, 10) > before["due_date"]
    assert after["statutory_due_date"] == DAY_OFF.due_date(RECEIVED, 15)
    assert after["original_due_date"] == before["original_due_date"]
    assert after["calendar_version"] == DAY_OFF.version
    [event] = [e for e in await recomputed(pool) if e["dossier_code"] == code]
    assert event["payload"]["previous_due_date"] == before["due_date"].isoformat()
    assert event["payload"]["new_due_date"] == after["due_date"].isoformat()
    assert event["payload"]["calendar_version"] == DAY_OFF.version
    assert event["payload"]["reason"] == "99/TB-BNV ngày 03/12/2026 của Bộ Nội vụ: 07/12/2026 nghỉ"
    trail = await pool.fetch("""SELECT action, reason FROM case_audit a JOIN dossier_case c
                                ON c.id = a.dossier_id WHERE c.code = $1 ORDER BY a.id""", code)
    assert trail[-1]["action"] == "calendar_recomputed"
    assert (await pool.fetchval("SELECT days FROM calendar_snapshot WHERE version = $1",
                                DAY_OFF.version)) == DAY_OFF.snapshot()

    # Started again under the same calendar: nothing more to do, nothing told twice.
    assert await recompute_deadlines(later) == 0
    assert len([e for e in await recomputed(pool) if e["dossier_code"] == code]) == 1


async def test_an_added_make_up_saturday_never_brings_a_date_earlier(deps, pool, clock) -> None:
    clock.now = RECEIVED
    code = await submit(deps, FREE_AUTO)
    before = await row(pool, code)
    assert MAKEUP.due_date(RECEIVED, 10) < before["due_date"]  # counted afresh: earlier
    assert await recompute_deadlines(replace(deps, calendar=MAKEUP)) == 0
    after = await row(pool, code)
    assert (after["due_date"], after["statutory_due_date"]) == (
        before["due_date"], before["statutory_due_date"])
    assert after["calendar_version"] == MAKEUP.version
    assert await recomputed(pool) == []


async def test_dossiers_from_before_versions_follow_the_new_year_2026_swap(deps, pool,
                                                                           clock) -> None:
    """A dossier written before migration 0005 carries the calendar shipped then, which
    counted Fri 2/1/2026 as worked and Sat 10/1/2026 as off."""
    legacy = WorkingCalendar.from_snapshot(await pool.fetchval(
        "SELECT days FROM calendar_snapshot WHERE version = 'cal-pre-sources'"))
    new_years_eve = datetime(2025, 12, 31, 10, tzinfo=BUSINESS_TZ)
    assert legacy.due_date(new_years_eve, 3) == date(2026, 1, 6)  # the example
    assert CALENDAR.due_date(new_years_eve, 3) == date(2026, 1, 7)
    # This procedure's 10 days end inside the swap from a receipt on 24/12/2025.
    received = datetime(2025, 12, 24, 10, tzinfo=BUSINESS_TZ)
    clock.now = received
    code = await submit(deps, FREE_AUTO)
    await pool.execute("""UPDATE dossier_case SET calendar_version = 'cal-pre-sources',
                              due_date = $2, original_due_date = $2, statutory_due_date = $3
                          WHERE code = $1""",
                       code, legacy.due_date(received, 10), legacy.due_date(received, 15))
    assert (legacy.due_date(received, 10), CALENDAR.due_date(received, 10)) == (
        date(2026, 1, 8), date(2026, 1, 9))

    clock.now = datetime(2026, 1, 5, 8, tzinfo=BUSINESS_TZ)
    assert await recompute_deadlines(deps) == 1
    after = await row(pool, code)
    assert after["due_date"] == CALENDAR.due_date(received, 10) > legacy.due_date(received, 10)
    assert after["calendar_version"] == CALENDAR.version
    [event] = await recomputed(pool)
    assert event["payload"]["reason"] == ("12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng "
                                          "Chính phủ: 02/01/2026 nghỉ, 10/01/2026 làm việc")


async def test_replicas_recounting_at_once_tell_each_move_once(deps, pool, clock) -> None:
    clock.now = RECEIVED
    codes = [await submit(deps, FREE_AUTO) for _ in range(6)]
    later = replace(deps, calendar=DAY_OFF)
    moved = await asyncio.gather(*(recompute_deadlines(later, batch_size=1) for _ in range(3)))
    assert sum(moved) == len(codes)
    assert sorted(e["dossier_code"] for e in await recomputed(pool)) == sorted(codes)
