"""The portal client signs exactly what it sends (method, path, query, body), for JSON,
multipart and Kafka alike."""

from __future__ import annotations

import json

import pytest

from shared.contracts.topics import PORTAL_SUBMISSIONS
from shared.portal.auth import SignatureRefused, verify, verify_record
from shared.portal.client import kafka_record, main, signed_request

KEYS = {"dev-portal": ("dev-portal-secret",)}
DOSSIER = {"portal_submission_id": "c-1", "applicant": {"full_name": "Nguyễn Thị Hoa"}}


def _verified(request) -> str:
    return verify(KEYS, request.headers, request.read(), method=request.method,
                  path=request.url.path, query=request.url.query).portal


def test_a_json_request_is_signed_over_its_body() -> None:
    request = signed_request("POST", "http://intake/v1/dossiers", "dev-portal",
                             "dev-portal-secret", body=DOSSIER)
    assert _verified(request) == "dev-portal"
    assert json.loads(request.content) == DOSSIER
    assert "Nguyễn" in request.content.decode()  # UTF-8, not \\u escapes


def test_a_get_is_signed_over_an_empty_body() -> None:
    request = signed_request("GET", "http://intake/v1/dossiers/X", "dev-portal",
                             "dev-portal-secret")
    assert request.content == b"" and _verified(request) == "dev-portal"
    with pytest.raises(SignatureRefused):  # not as another method
        verify(KEYS, request.headers, b"", method="POST", path=request.url.path)


def test_the_query_is_signed() -> None:
    request = signed_request("GET", "http://intake/v1/x?b=2&a=%C4%91", "dev-portal",
                             "dev-portal-secret")
    assert _verified(request) == "dev-portal"
    with pytest.raises(SignatureRefused):
        verify(KEYS, request.headers, b"", method="GET", path="/v1/x", query="a=1&b=2")


def test_a_multipart_upload_names_each_file_part_in_the_json_part(tmp_path) -> None:
    pdf = tmp_path / "to-khai.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    request = signed_request("POST", "http://intake/v1/dossiers", "dev-portal",
                             "dev-portal-secret", body=DOSSIER, files={"to_khai": pdf})
    body = request.content
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert _verified(request) == "dev-portal"
    assert b'name="to_khai"; filename="to-khai.pdf"' in body and b"%PDF-1.4\n" in body
    assert b'"documents": [{"kind": "to_khai", "part": "to_khai"}]' in body


def test_a_kafka_record_is_keyed_by_the_submission_id_and_signed_in_headers() -> None:
    key, value, headers = kafka_record("dev-portal", "dev-portal-secret", DOSSIER)
    assert key == b"c-1"
    assert verify_record(KEYS, {k: v.decode() for k, v in headers}, value,
                         topic=PORTAL_SUBMISSIONS, key="c-1").portal == "dev-portal"


def test_the_command_refuses_a_document_that_is_not_a_file(tmp_path) -> None:
    dossier = tmp_path / "dossier.json"
    dossier.write_text(json.dumps(DOSSIER))
    with pytest.raises(SystemExit, match="expected KIND=PATH to an existing file"):
        main(["submit", str(dossier), "--document", "to_khai=/nonexistent.pdf"])
