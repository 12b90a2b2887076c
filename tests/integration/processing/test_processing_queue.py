"""The department queue on a real database: sorting, filters, search, pages and counts."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from shared.reference.workdays import BUSINESS_TZ
from tests.integration.processing.support import (
    BODIES,
    MONDAY,
    act,
    bearer,
    submit,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def queue(http, deps, clock) -> dict[str, str]:
    """ktht's dossiers on Monday 3/3/2025, one per SLA situation, and one of tp."""
    codes: dict[str, str] = {}
    for name, received, procedure, applicant in [
        ("overdue", datetime(2025, 2, 10, 9), "1.009995", "Phạm Thị Dung"),  # due 24/2
        ("at_risk", datetime(2025, 2, 17, 9), "1.009995", "Đặng Văn Đức"),  # due 3/3
        ("paused", MONDAY, "VTH-LOCAL-03", "Trần Thị Bình"),  # fee not paid yet
        ("on_track", MONDAY, "1.009995", "Nguyễn Văn An"),  # due 17/3
        ("registered", MONDAY, "VTH-LOCAL-01", "Lê Văn Cường"),  # awaits the intake officer
        ("finished", MONDAY, "1.009995", "Võ Thị Én"),
        ("other_department", MONDAY, "2.002189", "Nguyễn Văn An"),
    ]:
        clock.now = received.replace(tzinfo=BUSINESS_TZ)
        codes[name] = await submit(deps, procedure, name=applicant)
    clock.now = MONDAY
    for step in ({"action": "start"}, {"action": "propose", "proposed_outcome": "approved"}):
        assert (await act(http, codes["finished"], "ktht", "specialist", step)).status_code == 200
    approved = await act(http, codes["finished"], "ktht", "approver",
                         {"action": "approve", **BODIES["approve"]})
    assert approved.json()["status"] == "result_returned"
    return codes


async def page(http: httpx.AsyncClient, department: str = "ktht", **params) -> dict:
    answer = await http.get("/v1/queue", params=params, headers=bearer(department, "intake"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def codes_of(result: dict) -> list[str]:
    return [item["dossier_code"] for item in result["items"]]


async def test_the_queue_lists_open_work_by_due_date_with_counts_per_sla_state(http, queue
                                                                                ) -> None:
    result = await page(http)
    assert result["total"] == 5
    assert codes_of(result) == [queue[n] for n in ("overdue", "at_risk", "paused")] + sorted(
        [queue["on_track"], queue["registered"]])
    assert {i["dossier_code"]: i["sla_state"] for i in result["items"]}[queue["paused"]] \
        == "paused"
    assert result["counts"] == {"on_track": 2, "at_risk": 1, "overdue": 1, "paused": 1}
    newest_first = await page(http, sort="-due_date")
    assert codes_of(newest_first)[-3:] == [queue[n] for n in ("paused", "at_risk", "overdue")]


async def test_filters_by_sla_state_and_status_keep_the_counts_as_tabs(http, queue) -> None:
    late = await page(http, sla_state=["overdue", "at_risk"])
    assert codes_of(late) == [queue["overdue"], queue["at_risk"]] and late["total"] == 2
    assert late["counts"]["on_track"] == 2  # counts ignore the SLA filter
    waiting = await page(http, status=["awaiting_fee", "registered"])
    assert set(codes_of(waiting)) == {queue["paused"], queue["registered"]}
    done = await page(http, status=["result_returned"])
    assert codes_of(done) == [queue["finished"]] and done["items"][0]["sla_state"] is None
    assert (await http.get("/v1/queue", params={"sla_state": "late"},
                           headers=bearer("ktht", "intake"))).status_code == 422


async def test_search_by_code_or_name_without_diacritics_and_pages(http, queue) -> None:
    assert codes_of(await page(http, q="nguyen van an")) == [queue["on_track"]]
    assert codes_of(await page(http, q="DANG VAN DUC")) == [queue["at_risk"]]
    assert codes_of(await page(http, q="Bình")) == [queue["paused"]]
    fragment = queue["registered"][-9:].lower()
    assert codes_of(await page(http, q=fragment)) == [queue["registered"]]
    assert (await page(http, q="100%_"))["total"] == 0
    first, second, third = [await page(http, page=n, page_size=2) for n in (1, 2, 3)]
    assert [len(p["items"]) for p in (first, second, third)] == [2, 2, 1]
    assert codes_of(first) + codes_of(second) + codes_of(third) == codes_of(await page(http))
    assert {p["total"] for p in (first, second, third)} == {5}


async def test_a_department_sees_only_its_own_work(http, queue) -> None:
    tp = await page(http, department="tp")
    assert codes_of(tp) == [queue["other_department"]]
    assert tp["counts"] == {"on_track": 0, "at_risk": 0, "overdue": 0, "paused": 1}
    assert queue["other_department"] not in codes_of(await page(http, q="nguyen van an"))
