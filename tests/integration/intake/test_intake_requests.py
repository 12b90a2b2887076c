"""Supplements, withdrawal and public tracking, decided on intake's own projection of the
statuses processing publishes (recorded here as processing's events would be)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date

import pytest

from shared.contracts.events import DossierAccepted, DossierDecided, SupplementRequested
from shared.contracts.status import DossierStatus
from tests.integration.intake.support import PDF, Intake, registered, told

pytestmark = pytest.mark.integration
PERSONAL = ("Nguyễn Thị Hoa", "092301004567", "0912345678", "hoa@example.vn", "Đường 3/2",
            "Trần Văn Nam", "officer.tp")


async def _processing_says(intake: Intake, dossier_id: uuid.UUID, event) -> None:
    await told(intake, dossier_id, event, "processing")


def _supplement_request(code: str) -> SupplementRequested:
    return SupplementRequested(dossier_code=code, missing=("giay_to_tuy_than",),
                               reason="Ảnh CCCD của bà Nguyễn Thị Hoa bị mờ",
                               deadline=date(2031, 1, 15))


def _document(kind: str, content: bytes = PDF) -> dict:
    return {"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(content).decode()}


async def test_a_supplement_is_taken_only_when_requested_and_only_once(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    body = {"documents": [_document("giay_to_tuy_than")], "note": "Ảnh rõ hơn"}
    early = await intake.send("POST", f"/v1/dossiers/{code}/supplements", body)
    assert early.status_code == 409 and early.json()["status"] == "registered"

    await _processing_says(intake, dossier_id, _supplement_request(code))
    wrong_kind = await intake.send("POST", f"/v1/dossiers/{code}/supplements",
                                   {"documents": [_document("to_khai")]})
    assert wrong_kind.status_code == 422
    assert wrong_kind.json()["detail"] == [
        "documents: the supplement request asked for 'giay_to_tuy_than'"]

    provided = await intake.send("POST", f"/v1/dossiers/{code}/supplements", body)
    assert provided.status_code == 202, provided.text
    assert provided.json()["documents"][0]["kind"] == "giay_to_tuy_than"
    replay = await intake.send("POST", f"/v1/dossiers/{code}/supplements", body)
    assert replay.status_code == 202 and replay.json()["replay"] is True
    other = {"documents": [_document("giay_to_tuy_than", PDF + b"other")]}
    conflict = await intake.send("POST", f"/v1/dossiers/{code}/supplements", other)
    assert conflict.status_code == 409 and conflict.json()["status"] == "awaiting_supplement"
    events = await intake.events("SupplementProvided", code)
    assert len(events) == 1 and events[0]["dossier_id"] == str(dossier_id)
    assert events[0]["payload"]["note"] == "Ảnh rõ hơn"
    sha256 = events[0]["payload"]["documents"][0]["sha256"]
    stored = await intake.send("GET", f"/v1/dossiers/{code}/documents/{sha256}")
    assert stored.content == PDF

    # A second request from processing opens a new round.
    await _processing_says(intake, dossier_id, _supplement_request(code))
    again = await intake.send("POST", f"/v1/dossiers/{code}/supplements", other)
    assert again.status_code == 202 and len(await intake.events("SupplementProvided", code)) == 2


async def test_a_dossier_is_withdrawn_until_it_is_decided(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    await _processing_says(intake, dossier_id, DossierAccepted(
        dossier_code=code, department_code="tp", fee=75000, due_date=date(2031, 1, 20),
        return_method="postal", status=DossierStatus.AWAITING_FEE))
    asked = await intake.send("POST", f"/v1/dossiers/{code}/withdraw", {"reason": "Nộp nhầm"})
    assert asked.status_code == 202 and asked.json()["status"] == "awaiting_fee"
    again = await intake.send("POST", f"/v1/dossiers/{code}/withdraw", {"reason": "Nộp nhầm"})
    assert again.status_code == 202 and again.json()["replay"] is True
    events = await intake.events("WithdrawalRequested", code)
    assert [e["payload"]["reason"] for e in events] == ["Nộp nhầm"]
    assert (await intake.send("POST", f"/v1/dossiers/{code}/withdraw", portal="portal-b")
            ).status_code == 404

    decided, decided_id = await registered(intake)
    await _processing_says(intake, decided_id, DossierDecided(
        dossier_code=decided, outcome="approved", decided_by="officer.tp",
        return_method="postal"))
    late = await intake.send("POST", f"/v1/dossiers/{decided}/withdraw")
    assert late.status_code == 409
    assert late.json() | {"detail": ""} == {"detail": "", "status": "decided",
                                             "status_label": "Đã xử lý xong"}
    assert await intake.events("WithdrawalRequested", decided) == []


async def test_tracking_shows_status_dates_and_timeline_and_nothing_personal(
    intake: Intake,
) -> None:
    code, dossier_id = await registered(intake, submitted_by={
        "kind": "helper", "name": "Trần Văn Nam", "organisation": "Đoàn Thanh niên xã Thạnh An"})
    await _processing_says(intake, dossier_id, DossierAccepted(
        dossier_code=code, department_code="tp", fee=75000, due_date=date(2031, 1, 20),
        return_method="postal", status=DossierStatus.ACCEPTED))
    await _processing_says(intake, dossier_id, _supplement_request(code))
    await _processing_says(intake, dossier_id, DossierDecided(
        dossier_code=code, outcome="refused", reason="Ông Trần Văn Nam không có ủy quyền",
        decided_by="officer.tp", return_method="postal"))

    answer = await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})
    assert answer.status_code == 200
    view = answer.json()
    assert (view["status"], view["status_label"]) == ("decided", "Đã xử lý xong")
    assert view["due_date"] == "2031-01-20"  # the committed date set at acceptance
    assert view["procedure_name"].startswith("Ghi vào Sổ hộ tịch việc kết hôn")
    first = view["timeline"][0]
    assert first["detail"] == {"assisted": True, "organisation": "Đoàn Thanh niên xã Thạnh An"}
    assert "nộp thay" in first["description"]
    assert [e["status_label"] for e in view["timeline"]] == [
        "Mới đăng ký", "Đã tiếp nhận", "Chờ bổ sung hồ sơ", "Đã xử lý xong"]
    public = json.dumps(view, ensure_ascii=False)
    assert not [p for p in PERSONAL if p in public]
    assert "reason" not in public and "dossier_id" not in public

    unknown = await intake.http.get("/v1/track/VTH-000101-0001",
                                   params={"phone_last4": "5678"})
    assert unknown.status_code == 404 and "Không tìm thấy hồ sơ" in unknown.json()["detail"]
