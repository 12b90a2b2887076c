"""The operator's way (issue 19): an announcement recorded with the CLI, then processing's
recount command, and the open dossier's dates follow, the citizen told through the outbox."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from services.processing import recompute
from services.processing.handlers.calendar import record_calendar
from shared.reference.calendar import main as calendar_cli
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar, overrides_path
from tests.integration.processing.support import CALENDAR, FREE_AUTO, submit

pytestmark = pytest.mark.integration


async def test_an_announcement_recorded_with_the_cli_moves_open_dossiers(
        deps, pool, clock, database_url: str, tmp_path: Path, monkeypatch, capsys) -> None:
    await record_calendar(deps)  # the running service's start-up
    clock.now = datetime(2026, 12, 2, 10, tzinfo=BUSINESS_TZ)
    code = await submit(deps, FREE_AUTO)
    promised = await pool.fetchval("SELECT due_date FROM dossier_case WHERE code = $1", code)

    overrides = tmp_path / "overrides.yaml"  # never the repository's file
    shutil.copy(overrides_path(), overrides)
    assert calendar_cli([
        "--file", str(overrides), "add", "2026", "--document", "77/TB-VPCP", "--date",
        "2026-12-03", "--issuer", "Văn phòng Chính phủ", "--status", "confirmed", "--period",
        "other", "--summary", "Mon 7/12/2026 off", "--day-off", "2026-12-07:Nghỉ đột xuất"]) == 0
    announced = WorkingCalendar.from_file(overrides)

    url = urlsplit(database_url)
    monkeypatch.setenv("CALENDAR_OVERRIDES", str(overrides))
    monkeypatch.setenv("DATABASE_URL", url._replace(path="/postgres").geturl())
    monkeypatch.setenv("PROCESSING_DATABASE_NAME", url.path.lstrip("/"))
    assert await recompute.main() == 0
    assert f"calendar {announced.version}: 1 open dossier(s) got a later date" in (
        capsys.readouterr().out)

    row = await pool.fetchrow("SELECT due_date, calendar_version FROM dossier_case "
                              "WHERE code = $1", code)
    assert row["calendar_version"] == announced.version != CALENDAR.version
    assert row["due_date"] == announced.due_date(clock.now, 10) > promised
    assert row["due_date"] == date(2026, 12, 17)
    payloads = [json.loads(bytes(r["payload"])) for r in await pool.fetch(
        "SELECT payload FROM outbox_message WHERE topic = 'dossier.events' ORDER BY id")]
    [told] = [p for p in payloads if p["event_type"] == "DossierDeadlineRecomputed"]
    assert told["dossier_code"] == code
    assert told["payload"]["reason"] == ("77/TB-VPCP ngày 03/12/2026 của Văn phòng Chính phủ: "
                                         "07/12/2026 nghỉ")
