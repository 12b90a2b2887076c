"""Processing's printed forms: the control slip of a dossier (each hand-over, early, on time
or late) and a department's book of a period, as PDF, for the officer's own department."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.processing.api.forms import timeliness
from shared.forms import form_sets
from shared.reference.workdays import BUSINESS_TZ
from tests.integration.processing.support import MONDAY, OTHER, OWN, act, bearer, dossier_in
from tests.unit.test_forms import MOTTO, pdf_text

pytestmark = pytest.mark.integration


async def test_the_control_slip_lists_each_hand_over_with_its_timeliness(http, deps) -> None:
    code = await dossier_in(http, deps, "in_progress")
    form_set = form_sets().in_force(deps.now())  # the test clock's day: 2018's set
    assert form_set.id == "tt01-2018"
    slip = await http.get(f"/v1/dossiers/{code}/forms/05", headers=bearer(OWN, "specialist"))
    assert slip.status_code == 200, slip.text
    assert slip.headers["content-type"] == "application/pdf"
    text = pdf_text(slip.content)
    for expected in ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", *MOTTO, code,
                     "Mẫu số 05", "Chuyên viên xử lý", "Đang xử lý",
                     "Thông tư số 01/2018/TT-VPCP", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"):
        assert expected in text, expected
    trail = await deps.pool.fetch(
        "SELECT a.at, c.due_date FROM case_audit a JOIN dossier_case c ON c.id = a.dossier_id"
        " WHERE c.code = $1 ORDER BY a.id", code)
    assert len(trail) >= 2
    results = [timeliness(r["at"], r["due_date"]) for r in trail]
    assert text.count("Trước hạn") + text.count("Đúng hạn") + text.count("Quá hạn") == len(
        results) and results[0] in text
    assert timeliness(MONDAY, MONDAY.date() + timedelta(days=1)) == "Trước hạn"
    assert timeliness(MONDAY, MONDAY.date()) == "Đúng hạn"
    assert timeliness(MONDAY, MONDAY.date() - timedelta(days=1)) == "Quá hạn"
    assert (await http.get(f"/v1/dossiers/{code}/forms/control-slip",
                           headers=bearer(OWN, "approver"))).status_code == 200
    # 06 of the 2018 set is the book; 01 is intake's; another department sees nothing
    wrong = await http.get(f"/v1/dossiers/{code}/forms/06", headers=bearer(OWN, "specialist"))
    assert wrong.status_code == 404 and "'book'" in wrong.json()["detail"]
    receipt = await http.get(f"/v1/dossiers/{code}/forms/01", headers=bearer(OWN, "specialist"))
    assert receipt.status_code == 404 and "intake" in receipt.json()["detail"]
    assert (await http.get(f"/v1/dossiers/{code}/forms/05",
                           headers=bearer(OTHER, "specialist"))).status_code == 404
    assert (await http.get(f"/v1/dossiers/{code}/forms/05")).status_code == 401


async def test_the_book_lists_the_departments_dossiers_of_the_period(http, deps) -> None:
    code = await dossier_in(http, deps, "accepted")
    assert (await act(http, code, OWN, "specialist", {"action": "start"})).status_code == 200
    today = deps.now().astimezone(BUSINESS_TZ).date()
    period = {"from": str(today - timedelta(days=1)), "to": str(today)}
    book = await http.get(f"/v1/departments/{OWN}/book", params=period,
                          headers=bearer(OWN, "intake"))
    assert book.status_code == 200, book.text
    text = pdf_text(book.content)
    assert "SỔ THEO DÕI HỒ SƠ" in text and code in text and "Mẫu số 06" in text
    earlier = await http.get(f"/v1/departments/{OWN}/book", headers=bearer(OWN, "intake"),
                             params={"from": str(today - timedelta(days=3)),
                                     "to": str(today - timedelta(days=2))})
    assert earlier.status_code == 200 and code not in pdf_text(earlier.content)
    assert (await http.get(f"/v1/departments/{OTHER}/book", params=period,
                           headers=bearer(OWN, "intake"))).status_code == 403
    across = await http.get(f"/v1/departments/{OWN}/book", headers=bearer(OWN, "intake"),
                            params={"from": "2025-06-01", "to": "2025-07-31"})
    new = await http.get(f"/v1/departments/{OWN}/book", headers=bearer(OWN, "intake"),
                         params={"from": "2025-07-01", "to": "2025-07-31"})
    assert new.status_code == 200 and "Mẫu số 07" in pdf_text(new.content)
    assert across.status_code == 422 and "straddles" in across.text
    backwards = await http.get(f"/v1/departments/{OWN}/book", headers=bearer(OWN, "intake"),
                               params={"from": "2025-06-02", "to": "2025-06-01"})
    assert backwards.status_code == 422
    assert date.fromisoformat(period["to"]) == today
