import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from services.processing.domain import ActionNotAllowed, Case
from shared.events import Applicant, DossierSubmitted
from shared.status import DossierStatus as S


def _submitted(*, fee: int = 0, return_method: str = "online") -> DossierSubmitted:
    return DossierSubmitted(
        dossier_code="VTH-250123-0001", portal="dev", portal_submission_id="1",
        agency_code="VTH", procedure_code="P", procedure_name="Thủ tục", department_code="tp",
        catalog_version="v1",
        applicant=Applicant(full_name="Nguyễn Văn A", id_number="079203001234",
                            phone="0912345678", email="a@example.vn"),
        return_method=return_method,  # type: ignore[arg-type]
        postal_address="1 Đường A" if return_method == "postal" else None,
        fee=Decimal(fee), committed_days=7, received_at=datetime(2025, 1, 23, 3, tzinfo=UTC),
        due_date=date(2025, 2, 10),
    )


def _types(case: Case) -> list[str]:
    return [type(e).__name__ for e in case.events]


def test_a_free_dossier_is_accepted_and_goes_straight_to_the_department() -> None:
    case = Case.accept(uuid.uuid4(), _submitted())
    assert case.status is S.IN_PROGRESS
    assert _types(case) == ["DossierAccepted", "DossierProcessingStarted"]


def test_a_dossier_with_a_fee_waits_for_payment_and_cannot_be_decided_before() -> None:
    case = Case.accept(uuid.uuid4(), _submitted(fee=50_000))
    assert case.status is S.AWAITING_FEE
    with pytest.raises(ActionNotAllowed) as refused:
        case.act("approve", actor="officer")
    assert refused.value.status is S.AWAITING_FEE and refused.value.allowed == []
    case.record_payment()
    assert case.status is S.IN_PROGRESS
    case.record_payment()  # a second confirmation changes nothing
    assert _types(case).count("DossierProcessingStarted") == 1


def test_online_return_finishes_at_the_decision() -> None:
    case = Case.accept(uuid.uuid4(), _submitted())
    case.events.clear()
    case.act("approve", actor="officer")
    assert case.status is S.RESULT_RETURNED and case.outcome == "approved"
    assert _types(case) == ["DossierDecided", "DossierResultReturned"]


def test_postal_return_finishes_at_delivery() -> None:
    case = Case.accept(uuid.uuid4(), _submitted(return_method="postal"))
    case.act("refuse", actor="officer", reason="Thiếu giấy tờ")
    assert case.status is S.DECIDED and case.outcome == "refused"
    case.record_delivery()
    assert case.status is S.RESULT_RETURNED
    with pytest.raises(ActionNotAllowed):
        case.act("approve", actor="officer")
