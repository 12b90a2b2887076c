"""The operator CLI round trip (issue 19), always on a copy of the override file."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from shared.reference.calendar import main
from shared.reference.workdays import Status, WorkingCalendar, overrides_path


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    path = tmp_path / "overrides.yaml"
    shutil.copy(overrides_path(), path)
    return path


TET_2027 = ["add", "2027", "--document", "1/TB-BNV", "--date", "2026-12-10", "--issuer",
            "Bộ Nội vụ", "--status", "confirmed", "--period", "tet", "--summary",
            "Tết Đinh Mùi: 4/2–12/2/2027, Fri 12/2 swapped with Sat 20/2",
            "--day-off", "2027-02-12:Nghỉ Tết Nguyên Đán (hoán đổi)",
            "--working-day", "2027-02-20:Làm việc bù cho thứ Sáu 12/2/2027"]


def test_show_lists_deviations_with_their_sources(copy: Path, capsys) -> None:
    assert main(["--file", str(copy), "show", "2026"]) == 0
    out = capsys.readouterr().out
    assert "2026: 249 working days" in out
    assert "Fri 02/01/2026  off" in out and "Sat 10/01/2026  worked" in out
    assert "12729/VPCP-KGVX of 25/12/2025 (Văn phòng Chính phủ, reported)" in out


def test_add_then_show_and_check_round_trip(copy: Path, capsys) -> None:
    assert main(["--file", str(copy), "check", "--today", "2026-12-02"]) == 1
    assert "WARNING: Tết 2027 (06/02/2027)" in capsys.readouterr().out
    header = copy.read_text(encoding="utf-8").splitlines()[0]

    assert main(["--file", str(copy), *TET_2027]) == 0
    assert "recorded in" in capsys.readouterr().out
    text = copy.read_text(encoding="utf-8")
    assert text.splitlines()[0] == header  # the file's explanation is kept

    calendar = WorkingCalendar.from_file(copy)
    assert not calendar.is_working_day(date(2027, 2, 12))
    assert calendar.is_working_day(date(2027, 2, 20))
    tet = calendar.confirmed(2027, calendar.announcements[2027][0].periods[0])
    assert tet is not None and tet.source.status is Status.CONFIRMED
    # Every earlier announcement survived the rewrite, with its source.
    shipped = WorkingCalendar.from_file(overrides_path())
    assert {y: calendar.announcements[y] for y in shipped.announcements} == shipped.announcements
    assert calendar.version != shipped.version

    assert main(["--file", str(copy), "check", "--today", "2026-12-02"]) == 0
    assert "OK: every holiday period" in capsys.readouterr().out
    assert main(["--file", str(copy), "show", "2027"]) == 0
    assert "Fri 12/02/2027  off" in capsys.readouterr().out


@pytest.mark.parametrize(("change", "reason"), [
    (["--date", "2026-12-10", "--day-off", "2026-02-12:Sai năm"], "outside 2027"),
    (["--status", "proposed"], "a proposed source names its date"),
    (["--date", "2026-12-10", "--day-off", "2027-02-20:Trùng"], "listed twice"),
])
def test_add_refuses_an_invalid_announcement_and_leaves_the_file(copy: Path, capsys,
                                                                 change: list[str],
                                                                 reason: str) -> None:
    before = copy.read_bytes()
    args = ["add", "2027", "--document", "2/TB-BNV", "--issuer", "Bộ Nội vụ", "--status",
            "confirmed", "--period", "tet", "--summary", "s",
            "--working-day", "2027-02-20:Làm việc bù"]
    if "--status" in change:
        args[args.index("confirmed")] = change[1]
        change = []
    assert main(["--file", str(copy), *args, *change]) == 2
    assert reason in capsys.readouterr().err
    assert copy.read_bytes() == before


def test_a_broken_file_is_named(tmp_path: Path, capsys) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("2027:\n  days_off: []\n", encoding="utf-8")
    assert main(["--file", str(broken), "show", "2027"]) == 2
    assert "broken.yaml" in capsys.readouterr().err
