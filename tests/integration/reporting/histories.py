"""Ten dossier histories of March 2025 (no holiday that month) whose indicators are worked out
by hand in tests/unit/test_reporting_indicators.py, and published as real envelopes to the real
broker by the integration tests of this package.

Working days of March 2025: Mon 3 … Fri 7, Mon 10 … Fri 14, Mon 17 … Fri 21, Mon 24 … Mon 31.
A receipt counts on its own day before 17:00, on the next working day from 17:00; a period of
n working days ends on the n-th working day after that day.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contracts.events import (
    Applicant,
    DocumentRef,
    DossierAccepted,
    DossierApologyIssued,
    DossierAtRisk,
    DossierDecided,
    DossierProcessingResumed,
    DossierRated,
    DossierRefusedAtIntake,
    DossierSubmitted,
    DossierWithdrawn,
    Envelope,
    Event,
    NotificationSent,
    PaymentCompleted,
    PaymentRequested,
    SupplementProvided,
    SupplementRequested,
    WithdrawalRequested,
)
from shared.contracts.status import DossierStatus as S

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TODAY = date(2025, 3, 21)  # "now" for at risk / overdue
NAMES = {"2.002189": "Đăng ký khai sinh", "2.000748": "Cấp bản sao trích lục hộ tịch",
         "2.000806": "Đăng ký kết hôn có yếu tố nước ngoài", "1.009995": "Cấp giấy phép xây dựng"}
DEPARTMENTS = {"2.002189": "tp", "2.000748": "tp", "2.000806": "tp", "1.009995": "ktht"}


def vn(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime.combine(date(2025, month, day), time(hour, minute), VN)


def doc(kind: str) -> DocumentRef:
    return DocumentRef(kind=kind, filename=f"{kind}.pdf", content_type="application/pdf",
                       size=1000, sha256="0" * 64)


@dataclass
class History:
    letter: str
    dossier_id: uuid.UUID
    code: str
    procedure: str
    events: list[tuple[datetime, Event]] = field(default_factory=list)

    def at(self, moment: datetime, event: Event) -> History:
        self.events.append((moment, event))
        return self

    def envelopes(self) -> list[Envelope]:
        return [Envelope.wrap(e, dossier_id=self.dossier_id, producer="test",
                              dossier_code=self.code, occurred_at=moment)
                for moment, e in self.events]


def histories(agency: str = "VTH", day_code: str = "250303") -> dict[str, History]:
    """A … J (see the module's doc and the unit test for what each tests)."""
    out: dict[str, History] = {}

    def start(letter: str, procedure: str, received: datetime, due: date, *, fee: int = 0,
              channel: str = "online", documents: int = 0, ret: str = "online",
              statutory: tuple[int, date] | None = None, version: str = "vinh-thanh-2024.2",
              committed: int = 7) -> History:
        h = History(letter, uuid.uuid4(), f"{agency}-{day_code}-{len(out) + 1:04d}", procedure)
        h.at(received, DossierSubmitted(
            dossier_code=h.code, portal="test", portal_submission_id=str(h.dossier_id),
            agency_code=agency, procedure_code=procedure, procedure_name=NAMES[procedure],
            department_code=DEPARTMENTS[procedure], catalog_version=version,
            applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567",
                                phone="0912345678", email="binh@example.vn"),
            return_method=ret, postal_address="12 Đường 3/2" if ret == "postal" else None,
            documents=tuple(doc(f"giay_{i}") for i in range(documents)), fee=Decimal(fee),
            committed_days=committed, received_at=received, due_date=due, channel=channel,
            statutory_days=statutory[0] if statutory else None,
            statutory_due_date=statutory[1] if statutory else None))
        out[letter] = h
        return h

    def accept(h: History, at: datetime, due: date, *, fee: int = 0, paused: bool = False,
               ret: str = "online") -> None:
        h.at(at, DossierAccepted(
            dossier_code=h.code, department_code=DEPARTMENTS[h.procedure], fee=Decimal(fee),
            due_date=due, return_method=ret, status=S.AWAITING_FEE if paused else S.ACCEPTED))

    def pay(h: History, at: datetime, fee: int, due: date) -> None:
        payment = uuid.uuid4()
        h.at(at, PaymentRequested(dossier_code=h.code, payment_id=payment, amount=Decimal(fee)))
        h.at(at.replace(minute=30), PaymentCompleted(
            dossier_code=h.code, payment_id=payment, amount=Decimal(fee),
            gateway_transaction_id="14" + payment.hex[:6]))
        h.at(at.replace(minute=31), DossierProcessingResumed(
            dossier_code=h.code, status=S.ACCEPTED, due_date=due, resumed_because="fee_paid"))

    def decide(h: History, at: datetime, *, electronic: bool = True, ret: str = "online"
               ) -> None:
        h.at(at, DossierDecided(dossier_code=h.code, outcome="approved", decided_by="u1",
                                return_method=ret,
                                result_document=doc("ket_qua") if electronic else None))

    def rate(h: History, at: datetime, rating: str) -> None:
        h.at(at, DossierRated(dossier_code=h.code, rating=rating, rated_at=at,
                              comment="Cán bộ Nguyễn Văn A rất nhiệt tình"))

    # A: on time on the due date itself (7th working day), paid online, rated unsatisfied.
    a = start("A", "2.002189", vn(3, 9), date(2025, 3, 12), fee=75000, documents=2,
              statutory=(12, date(2025, 3, 19)))
    accept(a, vn(3, 9, 5), date(2025, 3, 12), fee=75000, paused=True)
    pay(a, vn(3, 10), 75000, date(2025, 3, 12))  # paid the day it was received: no day lost
    a.at(vn(3, 9, 6), NotificationSent(dossier_code=a.code, channel="email",
                                       template="dossier_accepted", recipient="b***@example.vn"))
    decide(a, vn(12, 16, 59))
    rate(a, vn(13, 8), "unsatisfied")

    # B: received at 17:00 sharp (counts on Tue 4), due Thu 13, decided Fri 14 00:00: late,
    # on its 8th working day; postal return; rated satisfied (but late: spoils satisfaction).
    b = start("B", "2.002189", vn(3, 17), date(2025, 3, 13), fee=75000, documents=1,
              ret="postal", statutory=(12, date(2025, 3, 20)))
    accept(b, vn(4, 8), date(2025, 3, 13), fee=75000, paused=True, ret="postal")
    pay(b, vn(4, 9), 75000, date(2025, 3, 13))
    decide(b, vn(14, 0), electronic=False, ret="postal")
    rate(b, vn(17, 9), "satisfied")

    # C: supplement, policy resume: paused Thu 6 10:00 → Mon 10 09:00 loses Fri 7 and Mon 10,
    # due Thu 13 → Mon 17; decided Mon 17: on time; processing 9 − 2 = 7 working days.
    c = start("C", "2.002189", vn(4, 10), date(2025, 3, 13), documents=1,
              statutory=(12, date(2025, 3, 20)))
    accept(c, vn(4, 10, 5), date(2025, 3, 13))
    c.at(vn(6, 10), SupplementRequested(dossier_code=c.code, missing=("giay_to",),
                                        reason="Thiếu giấy tờ", deadline=date(2025, 3, 20)))
    c.at(vn(10, 9), SupplementProvided(dossier_code=c.code, documents=(doc("bo_sung"),),
                                       provided_at=vn(10, 9)))
    c.at(vn(10, 9, 1), DossierProcessingResumed(
        dossier_code=c.code, status=S.IN_PROGRESS, due_date=date(2025, 3, 17),
        resumed_because="supplement_provided"))
    decide(c, vn(17, 10))
    rate(c, vn(18, 8), "very_satisfied")
    rate(c, vn(19, 8), "unsatisfied")  # a second rating: not counted

    # D: supplement, policy restart (1.009995, 10 days): due Mon 17; paused Wed 5 → Fri 7
    # 14:00 restarts the full 10 days from Fri 7: Fri 21; decided Thu 20: early; unrated.
    d = start("D", "1.009995", vn(3, 8), date(2025, 3, 17), committed=10,
              statutory=(15, date(2025, 3, 24)))
    accept(d, vn(3, 8, 5), date(2025, 3, 17))
    d.at(vn(5, 9), SupplementRequested(dossier_code=d.code, missing=("ban_ve",),
                                       reason="Thiếu bản vẽ", deadline=date(2025, 3, 14)))
    d.at(vn(7, 14), DossierProcessingResumed(
        dossier_code=d.code, status=S.IN_PROGRESS, due_date=date(2025, 3, 21),
        resumed_because="supplement_provided"))
    decide(d, vn(20, 15))

    # E: apology letter Thu 13 moves the due date Fri 14 → Tue 18; decided Tue 18: on time
    # against the date in force; the letter counts as one apology.
    e = start("E", "2.002189", vn(5, 9), date(2025, 3, 14), documents=1,
              statutory=(12, date(2025, 3, 21)))
    accept(e, vn(5, 9, 5), date(2025, 3, 14))
    e.at(vn(13, 16), DossierApologyIssued(
        dossier_code=e.code, procedure_name=NAMES["2.002189"], department_code="tp",
        reason="Cần xác minh thêm", previous_due_date=date(2025, 3, 14),
        new_due_date=date(2025, 3, 18), original_due_date=date(2025, 3, 14),
        issued_on=date(2025, 3, 13), actor_role="approver"))
    decide(e, vn(18, 11))
    rate(e, vn(19, 8), "satisfied")

    # F: refused at intake: received, never resolved.
    f = start("F", "2.002189", vn(6, 9), date(2025, 3, 17))
    f.at(vn(6, 10), DossierRefusedAtIntake(dossier_code=f.code, reason="Sai thủ tục",
                                           actor_role="intake"))

    # G: withdrawn while awaiting its fee (never paid).
    g = start("G", "2.002189", vn(7, 9), date(2025, 3, 18), fee=75000)
    accept(g, vn(7, 9, 5), date(2025, 3, 18), fee=75000, paused=True)
    g.at(vn(10, 8), WithdrawalRequested(dossier_code=g.code, requested_at=vn(10, 8)))
    g.at(vn(10, 9), DossierWithdrawn(dossier_code=g.code))

    # H: at the counter, postal return, 2 days: due Wed 5, still open on Fri 21: overdue now.
    h = start("H", "2.000748", vn(3, 9), date(2025, 3, 5), channel="counter", ret="postal",
              committed=2)
    accept(h, vn(3, 9, 5), date(2025, 3, 5), ret="postal")

    # I: partial online (2.000806, 10 days): due Tue Apr 1, told at risk: at risk now.
    i = start("I", "2.000806", vn(18, 9), date(2025, 4, 1), documents=1, committed=10)
    accept(i, vn(18, 9, 5), date(2025, 4, 1))
    i.at(vn(21, 7), DossierAtRisk(dossier_code=i.code, department_code="tp",
                                  due_date=date(2025, 4, 1), working_days_left=6))

    # J: at the counter, awaiting its fee since Mon 3 (clock paused): past its date but not
    # overdue, the clock being stopped.
    j = start("J", "2.000748", vn(3, 11), date(2025, 3, 5), channel="counter", committed=2)
    accept(j, vn(3, 11, 5), date(2025, 3, 5), fee=28000, paused=True)
    return out
