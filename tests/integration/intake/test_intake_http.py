"""Intake's portal edge over HTTP on a real database: signatures, validation, idempotency,
documents (JSON and multipart), the portal's view."""

from __future__ import annotations

import hashlib
import time

import pytest

from shared.portal.auth import signed_headers
from tests.integration.intake.support import (
    PDF,
    SECRETS,
    Intake,
    documents_for,
    submission,
)

pytestmark = pytest.mark.integration
MARRIAGE = "2.002189"


async def _procedure(intake: Intake, code: str = MARRIAGE) -> dict:
    answer = await intake.http.get(f"/v1/procedures/{code}")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_unsigned_stale_wrong_and_tampered_requests_get_401_with_the_reason(
    intake: Intake,
) -> None:
    body = b'{"portal_submission_id": "x"}'
    unsigned = await intake.http.post("/v1/dossiers", content=body)
    assert unsigned.status_code == 401 and "missing header" in unsigned.json()["detail"]

    def headers(**kw) -> dict:
        return {**signed_headers("portal-a", SECRETS["portal-a"], body, method="POST",
                                   path="/v1/dossiers", **kw),
                "Content-Type": "application/json"}

    stale = await intake.http.post("/v1/dossiers", content=body,
                                   headers=headers(now=time.time() - 400))
    assert stale.status_code == 401 and "stale" in stale.json()["detail"]
    tampered = await intake.http.post("/v1/dossiers", content=body + b" ", headers=headers())
    assert tampered.status_code == 401 and "does not match" in tampered.json()["detail"]
    wrong = {**headers(), "X-Portal-Id": "portal-b"}
    answer = await intake.http.post("/v1/dossiers", content=body, headers=wrong)
    assert answer.status_code == 401 and "portal-b" in answer.json()["detail"]
    assert answer.headers["WWW-Authenticate"].startswith("MOTCUA-HMAC-SHA256-2")


async def test_a_submission_registers_once_replays_answer_200_and_another_body_409(
    intake: Intake,
) -> None:
    body = submission(await _procedure(intake))
    created = await intake.submit(body)
    assert created.status_code == 201, created.text
    receipt = created.json()
    assert receipt["dossier_code"].startswith("VTH-") and receipt["status"] == "registered"
    assert receipt["statutory_due_date"] > receipt["due_date"]

    replay = await intake.submit(body)
    assert replay.status_code == 200 and replay.json() == receipt
    conflict = await intake.submit({**body, "postal_address": {
        **body["postal_address"], "street": "Một địa chỉ khác"}})
    assert conflict.status_code == 409 and "already used" in conflict.json()["detail"]
    # The same submission id from another portal is another submission.
    other = await intake.submit(body, portal="portal-b")
    assert other.status_code == 201 and other.json()["dossier_code"] != receipt["dossier_code"]

    events = await intake.events("DossierSubmitted", receipt["dossier_code"])
    assert len(events) == 1
    payload = events[0]["payload"]
    assert payload["portal"] == "portal-a" and payload["catalog_version"].startswith("vinh")
    assert payload["statutory_due_date"] == receipt["statutory_due_date"]
    assert all("content_base64" not in d and len(d["sha256"]) == 64
               for d in payload["documents"])


async def test_an_invalid_submission_gets_422_with_every_reason(intake: Intake) -> None:
    body = submission(await _procedure(intake), channel="counter", documents=[])
    body["applicant"]["id_number"] = "12345"
    answer = await intake.submit(body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [
        "applicant.id_number: must be the 12-digit citizen identity number "
        "(số định danh cá nhân)"]
    body["applicant"]["id_number"] = "092301004567"
    reasons = (await intake.submit(body)).json()["detail"]
    assert reasons[0].startswith("channel: 'counter' is not allowed")
    assert sum("missing mandatory document" in r for r in reasons) == 3


async def test_a_multipart_upload_registers_and_its_documents_come_back_by_checksum(
    intake: Intake, tmp_path,
) -> None:
    procedure = await _procedure(intake)
    files = {}
    for n, d in enumerate(d for d in procedure["required_documents"] if d["mandatory"]):
        path = tmp_path / f"{d['kind']}.pdf"
        path.write_bytes(PDF + bytes([n]) * 100)
        files[d["kind"]] = path
    body = {k: v for k, v in submission(procedure).items() if k != "documents"}
    created = await intake.submit(body, files=files)
    assert created.status_code == 201, created.text
    code = created.json()["dossier_code"]
    assert (await intake.submit(body, files=files)).status_code == 200

    for kind, path in files.items():
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        got = await intake.send("GET", f"/v1/dossiers/{code}/documents/{sha256}")
        assert got.status_code == 200 and got.content == path.read_bytes(), kind
    other = await intake.send("GET", f"/v1/dossiers/{code}/documents/{'0' * 64}")
    assert other.status_code == 404


async def test_a_declared_checksum_that_does_not_match_is_refused(intake: Intake) -> None:
    procedure = await _procedure(intake)
    documents = documents_for(procedure)
    documents[0]["sha256"] = hashlib.sha256(b"another file").hexdigest()
    answer = await intake.submit(submission(procedure, documents=documents))
    assert answer.status_code == 422
    assert "does not match the content" in answer.json()["detail"][0]


async def test_too_large_bodies_and_other_media_types_are_refused(intake: Intake) -> None:
    procedure = await _procedure(intake)
    big = documents_for(procedure, PDF + b"0" * 600 * 1024)
    answer = await intake.submit(submission(procedure, documents=big))
    assert answer.status_code == 413
    body = b"portal_submission_id=1"
    answer = await intake.http.post("/v1/dossiers", content=body, headers={
        **signed_headers("portal-a", SECRETS["portal-a"], body, method="POST",
                          path="/v1/dossiers"),
        "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 415


async def test_the_portal_sees_its_own_dossier_and_no_one_elses(intake: Intake) -> None:
    body = submission(await _procedure(intake), submitted_by={
        "kind": "helper", "name": "Trần Văn Nam", "organisation": "Đoàn Thanh niên xã Thạnh An"})
    code = (await intake.submit(body)).json()["dossier_code"]

    view = await intake.send("GET", f"/v1/dossiers/{code}")
    assert view.status_code == 200
    dossier = view.json()
    assert dossier["submitted_by"]["name"] == "Trần Văn Nam"
    assert dossier["status_label"] == "Mới đăng ký" and dossier["channel"] == "online"
    assert dossier["timeline"][0]["detail"]["submitted_by"]["organisation"].startswith("Đoàn")
    assert "092301004567" not in view.text
    assert (await intake.send("GET", f"/v1/dossiers/{code}", portal="portal-b")).status_code \
        == 404
    assert (await intake.send("GET", "/v1/dossiers/VTH-000101-9999")).status_code == 404
