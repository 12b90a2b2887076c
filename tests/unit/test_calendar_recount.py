"""Open dossiers follow a late announcement (issue 19), in the domain: a day off added pushes
the dates later and tells why; a make-up Saturday added never brings them earlier; a paused
clock is counted at resumption under the new calendar; closed dossiers keep their dates."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal

from services.processing.domain.case import Case
from services.processing.domain.clock import Terms
from services.processing.domain.rules import Role
from services.processing.domain.trail import Actor
from shared.contracts.events import Applicant, DossierDeadlineRecomputed, DossierSubmitted
from shared.contracts.status import DossierStatus as S
from shared.reference.workdays import (
    BUSINESS_TZ,
    Announcement,
    Period,
    Source,
    Status,
    WorkingCalendar,
)

CAL = WorkingCalendar.default()
SOURCE = Source(document="99/TB-BNV", date=date(2026, 12, 3), issuer="Bộ Nội vụ",
                status=Status.CONFIRMED)
DAY_OFF = CAL.with_announcement(2026, Announcement(
    source=SOURCE, periods=(Period.OTHER,), summary="Mon 7/12/2026 off",
    days_off=({"date": date(2026, 12, 7), "name": "Nghỉ đột xuất"},)))  # type: ignore[arg-type]
MAKEUP = CAL.with_announcement(2026, Announcement(
    source=SOURCE, periods=(Period.OTHER,), summary="Sat 5/12/2026 worked",
    working_days=({"date": date(2026, 12, 5), "name": "Làm việc bù"},)))  # type: ignore[arg-type]
RECEIVED = datetime(2026, 12, 2, 10, tzinfo=BUSINESS_TZ)  # Wednesday


def case(*, fee: int = 0, received_at: datetime = RECEIVED, auto_accept: bool = True,
         calendar: WorkingCalendar = CAL) -> Case:
    submitted = DossierSubmitted(
        dossier_code="VTH-261202-0001", portal="dev", portal_submission_id="1",
        agency_code="VTH", procedure_code="P", procedure_name="Thủ tục", department_code="tp",
        catalog_version="v1",
        applicant=Applicant(full_name="Nguyễn Văn A", id_number="079203001234",
                            phone="0912345678", email="a@example.vn"),
        return_method="online", fee=Decimal(fee), committed_days=7, received_at=received_at,
        due_date=calendar.due_date(received_at, 7))
    terms = Terms(committed_days=7, statutory_days=12, cutoff=time(17), auto_accept=auto_accept)
    made = Case.register(uuid.uuid4(), submitted, terms, calendar)
    made.written()
    return made


def test_a_dossier_records_the_calendar_its_dates_were_computed_under() -> None:
    assert case().calendar_version == CAL.version
    assert CAL.version != DAY_OFF.version != MAKEUP.version


def test_an_added_day_off_pushes_the_dates_and_says_why() -> None:
    c = case()
    assert (c.due_date, c.statutory_due_date) == (date(2026, 12, 11), date(2026, 12, 18))
    assert c.follow_calendar(CAL, DAY_OFF)
    assert (c.due_date, c.statutory_due_date) == (date(2026, 12, 14), date(2026, 12, 21))
    assert c.calendar_version == DAY_OFF.version
    [event] = c.events
    assert isinstance(event, DossierDeadlineRecomputed)
    assert (event.previous_due_date, event.new_due_date, event.statutory_due_date) == (
        date(2026, 12, 11), date(2026, 12, 14), date(2026, 12, 21))
    assert event.calendar_version == DAY_OFF.version
    assert event.reason == "99/TB-BNV ngày 03/12/2026 của Bộ Nội vụ: 07/12/2026 nghỉ"
    [entry] = c.audit
    assert entry.action == "calendar_recomputed" and entry.reason == event.reason
    assert c.original_due_date == date(2026, 12, 11)  # the first promise, for statistics


def test_an_added_make_up_saturday_never_brings_a_date_earlier() -> None:
    c = case()
    promised = (c.due_date, c.statutory_due_date)
    assert MAKEUP.due_date(RECEIVED, 7) == date(2026, 12, 10)  # counted afresh: a day earlier
    assert not c.follow_calendar(CAL, MAKEUP)
    assert (c.due_date, c.statutory_due_date) == promised
    assert c.events == [] and c.audit == []
    assert c.calendar_version == MAKEUP.version  # recounted, nothing to tell


def test_a_day_off_after_the_dates_changes_nothing() -> None:
    c = case(received_at=datetime(2026, 11, 2, 10, tzinfo=BUSINESS_TZ))
    before = (c.due_date, c.statutory_due_date)
    assert not c.follow_calendar(CAL, DAY_OFF)
    assert (c.due_date, c.statutory_due_date) == before


def test_a_paused_clock_counts_the_pause_under_the_new_calendar_at_resumption() -> None:
    c = case(fee=50_000)
    assert c.status is S.AWAITING_FEE and c.fee_due_date == date(2026, 12, 9)
    assert c.follow_calendar(CAL, DAY_OFF)
    assert (c.due_date, c.fee_due_date) == (date(2026, 12, 14), date(2026, 12, 10))
    c.record_payment(datetime(2026, 12, 8, 10, tzinfo=BUSINESS_TZ), DAY_OFF)
    # Paused 2/12 to 8/12: 3/12, 4/12, 8/12 lost (7/12 is now off), each counted once.
    assert c.due_date == date(2026, 12, 17)
    fresh = case(fee=50_000, calendar=DAY_OFF)
    fresh.record_payment(datetime(2026, 12, 8, 10, tzinfo=BUSINESS_TZ), DAY_OFF)
    assert fresh.due_date == c.due_date  # as if the day off had been known from the start


def test_a_dossier_not_yet_received_moves_its_provisional_date() -> None:
    c = case(auto_accept=False)
    assert c.status is S.REGISTERED and c.due_date == date(2026, 12, 11)
    assert c.follow_calendar(CAL, DAY_OFF)
    assert (c.due_date, c.statutory_due_date) == (date(2026, 12, 14), None)


def test_a_closed_dossier_keeps_its_dates_and_its_calendar() -> None:
    c = case()
    c.withdraw("Rút hồ sơ")
    assert c.status is S.WITHDRAWN
    registered = case(auto_accept=False)
    registered.refuse_at_intake(Actor("tp.intake", Role.INTAKE), "Không thuộc thẩm quyền")
    assert not registered.follow_calendar(CAL, DAY_OFF)
    assert not c.follow_calendar(CAL, DAY_OFF)
    assert (c.due_date, c.calendar_version) == (date(2026, 12, 11), CAL.version)


def test_new_year_2026_from_the_calendar_before_sources() -> None:
    legacy = WorkingCalendar(announcements={
        y: tuple(a for a in v if a.source.document != "12729/VPCP-KGVX")
        for y, v in CAL.announcements.items()})
    c = case(received_at=datetime(2025, 12, 31, 10, tzinfo=BUSINESS_TZ), calendar=legacy)
    c.due_date = legacy.due_date(datetime(2025, 12, 31, 10, tzinfo=BUSINESS_TZ), 3)
    assert c.due_date == date(2026, 1, 6)
    assert c.follow_calendar(legacy, CAL)
    assert c.due_date == date(2026, 1, 7)
    assert "12729/VPCP-KGVX ngày 25/12/2025" in c.events[0].reason  # type: ignore[attr-defined]
