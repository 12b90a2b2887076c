"""The department's side of a dossier: receipt, the officer workflow, the clock, the trail."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal

import pytest

from services.processing.domain.case import Case
from services.processing.domain.clock import Terms
from services.processing.domain.errors import ActionNotAllowed, InvalidAction
from services.processing.domain.rules import Role
from services.processing.domain.trail import Actor
from shared.contracts.events import Applicant, DocumentRef, DossierSubmitted
from shared.contracts.status import DossierStatus as S
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar

CAL = WorkingCalendar.default()
INTAKE = Actor("tp.intake", Role.INTAKE)
SPECIALIST = Actor("tp.specialist", Role.SPECIALIST)
APPROVER = Actor("tp.approver", Role.APPROVER)
RESULT = DocumentRef(kind="ket_qua", filename="kq.pdf", content_type="application/pdf", size=9,
                     sha256="0" * 64)


def vn(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BUSINESS_TZ)


def terms(**changes: object) -> Terms:
    return Terms(committed_days=7, statutory_days=12, cutoff=time(17),
                 supplement_deadline_days=15).model_copy(update=changes)


def submitted(*, fee: int = 0, return_method: str = "online",
              received_at: datetime | None = None) -> DossierSubmitted:
    received_at = received_at or vn(2025, 1, 23)
    return DossierSubmitted(
        dossier_code="VTH-250123-0001", portal="dev", portal_submission_id="1",
        agency_code="VTH", procedure_code="P", procedure_name="Thủ tục", department_code="tp",
        catalog_version="v1",
        applicant=Applicant(full_name="Nguyễn Văn A", id_number="079203001234",
                            phone="0912345678", email="a@example.vn"),
        return_method=return_method,  # type: ignore[arg-type]
        postal_address="1 Đường A" if return_method == "postal" else None,
        fee=Decimal(fee), committed_days=7, received_at=received_at,
        due_date=CAL.due_date(received_at, 7),
    )


def new_case(*, fee: int = 0, return_method: str = "online", received_at: datetime | None = None,
             **term_changes: object) -> Case:
    return Case.register(uuid.uuid4(), submitted(fee=fee, return_method=return_method,
                                                 received_at=received_at),
                         terms(**term_changes), CAL)


def in_progress(**kwargs: object) -> Case:
    case = new_case(**kwargs)  # type: ignore[arg-type]
    case.start(SPECIALIST)
    return case


def types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.events]


def test_an_auto_accepted_free_dossier_waits_for_a_specialist_to_start_it() -> None:
    case = new_case()
    assert case.status is S.ACCEPTED and case.due_date == date(2025, 2, 10)
    assert case.statutory_due_date == date(2025, 2, 17) and case.original_due_date == case.due_date
    assert types(case) == ["DossierAccepted"]
    case.start(SPECIALIST)
    assert case.status is S.IN_PROGRESS and types(case)[-1] == "DossierProcessingStarted"
    assert [a.action for a in case.audit] == ["register", "accept", "start"]
    assert case.audit[-1].actor == SPECIALIST


def test_without_auto_accept_the_intake_officer_receives_and_the_clock_counts_from_then() -> None:
    case = new_case(auto_accept=False)
    assert case.status is S.REGISTERED and case.received_at is None and case.events == []
    case.accept(INTAKE, vn(2025, 2, 3, 9), CAL)  # Monday after Tết, 11 days later
    assert case.status is S.ACCEPTED and case.received_at == vn(2025, 2, 3, 9)
    assert case.due_date == date(2025, 2, 12)  # 7 working days from Tuesday 4/2
    assert case.events[0].actor_role == "intake"  # type: ignore[union-attr]


def test_refusal_at_intake_is_final_and_public_with_its_reason() -> None:
    case = new_case(auto_accept=False)
    case.refuse_at_intake(INTAKE, "Hồ sơ không thuộc thẩm quyền")
    assert case.status is S.REFUSED_AT_INTAKE and case.status.is_final
    assert case.events[-1].reason == "Hồ sơ không thuộc thẩm quyền"  # type: ignore[union-attr]


def test_a_fee_pauses_the_clock_from_receipt_until_it_is_paid() -> None:
    case = new_case(fee=50_000, received_at=vn(2025, 3, 3))  # Monday
    assert case.status is S.AWAITING_FEE and case.due_date == date(2025, 3, 12)
    case.record_payment(vn(2025, 3, 5, 9), CAL)  # two working days later
    assert case.status is S.ACCEPTED and case.fee_paid
    assert case.due_date == date(2025, 3, 14) and case.original_due_date == date(2025, 3, 12)
    assert case.statutory_due_date == date(2025, 3, 21)
    case.record_payment(vn(2025, 3, 6), CAL)  # a second confirmation changes nothing
    assert types(case).count("DossierProcessingResumed") == 1


def test_a_fee_paid_the_same_day_costs_no_time_even_for_a_receipt_on_a_saturday() -> None:
    case = new_case(fee=50_000, received_at=vn(2025, 3, 8))  # Saturday: counts from Monday
    due = case.due_date
    case.record_payment(vn(2025, 3, 8, 11), CAL)
    assert case.due_date == due


def test_a_failed_fee_keeps_the_clock_paused_and_is_carried_until_the_fee_is_paid() -> None:
    case = new_case(fee=50_000, received_at=vn(2025, 3, 3))
    before, events, failed_at = case.snapshot(), len(case.events), vn(2025, 3, 4)
    case.record_payment_failure(failed_at, "Thẻ hết hạn", {"attempts": 3})
    case.record_payment_failure(failed_at, "Thẻ hết hạn", {"attempts": 3})  # told again
    assert case.status is S.AWAITING_FEE and case.paused_at == before.paused_at
    assert (case.fee_failed_at, case.fee_failure_reason) == (failed_at, "Thẻ hết hạn")
    assert case.due_date == before.due_date and len(case.events) == events  # nothing public
    assert [(a.action, a.reason) for a in case.audit][-1:] == [("fee_failed", "Thẻ hết hạn")]
    assert sum(a.action == "fee_failed" for a in case.audit) == 1
    case.record_payment(vn(2025, 3, 5, 9), CAL)  # the citizen paid after all
    assert case.status is S.ACCEPTED and case.fee_failed_at is None
    case.withdraw("Không còn nhu cầu")
    case.record_payment_failure(vn(2025, 3, 6), "Hết lượt thử", {})
    assert case.fee_failed_at is None and case.audit[-1].action == "fee_failure_ignored"


# Paused Thursday 6/3 with 4 working days left, resumed Thursday 13/3: "resume" counts the
# 4 days from there (19/3), "restart" the full 7 (24/3).
@pytest.mark.parametrize(("policy", "expected"), [("resume", date(2025, 3, 19)),
                                                  ("restart", date(2025, 3, 24))])
def test_a_supplement_pauses_the_clock_under_either_policy(policy: str, expected: date) -> None:
    case = in_progress(received_at=vn(2025, 3, 3), supplement_policy=policy)
    assert case.due_date == date(2025, 3, 12)
    case.request_supplement(SPECIALIST, vn(2025, 3, 6), CAL, missing=["Bản sao CCCD"],
                            reason="Thiếu giấy tờ", deadline=None)
    assert case.status is S.AWAITING_SUPPLEMENT and case.supplement_deadline == date(2025, 3, 27)
    case.record_supplement(vn(2025, 3, 13), CAL)  # a week later
    assert case.status is S.IN_PROGRESS and case.due_date == expected


def test_a_supplement_that_comes_when_none_is_awaited_only_joins_the_trail() -> None:
    case = in_progress()
    before, events = case.snapshot(), len(case.events)
    case.record_supplement(vn(2025, 1, 24), CAL)
    assert case.snapshot() == before and len(case.events) == events
    assert case.audit[-1].action == "supplement_ignored"


def test_a_specialist_proposes_and_the_approver_decides_with_the_result_document() -> None:
    case = in_progress()
    with pytest.raises(ActionNotAllowed):
        case.decide(APPROVER, vn(2025, 2, 5), approve=True, reason=None, document=RESULT)
    case.propose(SPECIALIST, "approved", None)
    assert case.status is S.IN_PROGRESS and case.situation.awaiting_approval
    with pytest.raises(InvalidAction, match="result document"):
        case.decide(APPROVER, vn(2025, 2, 5), approve=True, reason=None, document=None)
    case.decide(APPROVER, vn(2025, 2, 5), approve=True, reason=None, document=RESULT)
    assert case.status is S.RESULT_RETURNED and case.sla_result == "early"
    assert types(case)[-2:] == ["DossierDecided", "DossierResultReturned"]
    assert case.events[-1].finished_on_time is True  # type: ignore[union-attr]


def test_without_a_separate_approver_the_specialist_decides() -> None:
    case = in_progress(separate_approval=False, return_method="postal")
    case.decide(SPECIALIST, vn(2025, 2, 11), approve=False, reason="Không đủ điều kiện",
                document=None)
    assert case.status is S.DECIDED and case.outcome == "refused" and case.sla_result == "late"
    case.record_delivery()
    assert case.status is S.RESULT_RETURNED
    assert case.events[-1].sla_result == "late"  # type: ignore[union-attr]


def test_an_apology_letter_moves_the_committed_date_and_keeps_the_original() -> None:
    case = in_progress()
    with pytest.raises(InvalidAction, match="not a working day"):
        case.issue_apology(APPROVER, vn(2025, 2, 7), CAL, reason="Chờ xác minh",
                           new_due_date=date(2025, 2, 15))
    case.issue_apology(APPROVER, vn(2025, 2, 7), CAL, reason="Chờ xác minh",
                       new_due_date=date(2025, 2, 14))
    assert case.due_date == date(2025, 2, 14) and case.original_due_date == date(2025, 2, 10)
    letter = case.events[-1]
    assert (letter.previous_due_date, letter.new_due_date, letter.issued_on) == (  # type: ignore[union-attr]
        date(2025, 2, 10), date(2025, 2, 14), date(2025, 2, 7))


def test_a_transfer_hands_the_dossier_to_the_new_department_to_start() -> None:
    case = in_progress()
    with pytest.raises(InvalidAction, match="unknown department"):
        case.transfer(APPROVER, to_department="xx", departments={"tp", "vhtt"}, reason=None)
    case.transfer(APPROVER, to_department="vhtt", departments={"tp", "vhtt"}, reason="Sai")
    assert case.department_code == "vhtt" and case.status is S.ACCEPTED
    assert case.due_date == date(2025, 2, 10)


def test_withdrawal_is_possible_until_the_decision_and_refused_after_it() -> None:
    open_case, decided = in_progress(), in_progress(separate_approval=False,
                                                    return_method="postal")
    open_case.propose(SPECIALIST, "approved", None)
    open_case.withdraw("Không còn nhu cầu")
    assert open_case.status is S.WITHDRAWN and types(open_case)[-1] == "DossierWithdrawn"
    assert not open_case.situation.awaiting_approval  # the proposal went with it
    decided.decide(SPECIALIST, vn(2025, 2, 5), approve=True, reason=None, document=RESULT)
    before = decided.snapshot()
    decided.withdraw("Không còn nhu cầu")
    assert decided.snapshot() == before and types(decided)[-1] == "WithdrawalRefused"
    assert decided.audit[-1].action == "withdrawal_refused"
    assert "status" not in decided.events[-1].model_dump()
