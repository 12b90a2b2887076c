"""Finding 9: a document's bytes must be what its type says, its name a plain base name, and it
is served back as an attachment the browser may not sniff."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.integration.intake.support import PDF, Intake, submission

pytestmark = pytest.mark.integration
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32


async def _procedure(intake: Intake) -> dict:
    return (await intake.http.get("/v1/procedures/2.002189")).json()


def _with_first(body: dict, content: bytes, content_type: str, filename: str = "a.pdf") -> dict:
    first = {**body["documents"][0], "content_type": content_type, "filename": filename,
             "content_base64": base64.b64encode(content).decode()}
    return {**body, "documents": [first, *body["documents"][1:]]}


@pytest.mark.parametrize(("content", "declared", "reason"), [
    (b"<html><script>alert(1)</script></html>", "application/pdf", "is not a PDF"),
    (b"MZ\x90\x00\x03" + b"\0" * 60, "image/png", "is not a PNG image"),
    (b"PK\x03\x04" + b"\0" * 30, "application/pdf", "is not a PDF"),
    (PNG, "image/jpeg", "is not a JPEG image"),
])
async def test_content_that_is_not_its_declared_type_is_refused(
    intake: Intake, content: bytes, declared: str, reason: str,
) -> None:
    answer = await intake.submit(_with_first(submission(await _procedure(intake)), content,
                                             declared))
    assert answer.status_code == 422, answer.text
    assert f"documents[0] (to_khai): the content {reason}" in str(answer.json()["detail"])


async def test_png_and_jpeg_that_are_what_they_say_are_accepted(intake: Intake) -> None:
    body = _with_first(submission(await _procedure(intake)), PNG, "image/png", "anh.png")
    body["documents"][1] = {**body["documents"][1], "content_type": "image/jpeg",
                            "content_base64": base64.b64encode(JPEG).decode()}
    assert (await intake.submit(body)).status_code == 201


async def test_a_path_in_a_filename_is_dropped_and_the_download_is_an_attachment(
    intake: Intake,
) -> None:
    body = _with_first(submission(await _procedure(intake)), PDF, "application/pdf",
                       "../../../../etc/cron.d/x.pdf")
    created = await intake.submit(body)
    assert created.status_code == 201, created.text
    code = created.json()["dossier_code"]
    (event,) = await intake.events("DossierSubmitted", code)
    assert event["payload"]["documents"][0]["filename"] == "x.pdf"
    sha256 = hashlib.sha256(PDF).hexdigest()
    got = await intake.send("GET", f"/v1/dossiers/{code}/documents/{sha256}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"].startswith('attachment; filename="x.pdf"')
    assert got.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(("filename", "reason"), [
    ("hop-dong\u202efdp.exe", "must not contain U+202E"),
    ("a" * 4000 + ".pdf", "at most 255 characters"),
    ("../..", "no file name left"),
])
async def test_a_multipart_filename_is_checked_like_a_json_one(
    intake: Intake, tmp_path, filename: str, reason: str,
) -> None:
    procedure = await _procedure(intake)
    body = {k: v for k, v in submission(procedure).items() if k != "documents"}
    body["documents"] = [{"kind": d["kind"], "part": d["kind"]}
                         for d in procedure["required_documents"] if d["mandatory"]]
    import json

    import httpx

    from tests.integration.intake.support import SECRETS
    files = {"json": (None, json.dumps(body), "application/json"),
             **{d["part"]: ("doc.pdf", PDF, "application/pdf") for d in body["documents"]}}
    files["to_khai"] = (filename, PDF, "application/pdf")
    request = httpx.Request("POST", intake.http.base_url.join("/v1/dossiers"), files=files)
    from shared.portal.client import sign_request
    sign_request(request, "portal-a", SECRETS["portal-a"])
    answer = await intake.http.send(request)
    assert answer.status_code == 422, answer.text
    assert reason in str(answer.json()["detail"])
