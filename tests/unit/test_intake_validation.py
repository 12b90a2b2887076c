"""Every rule a submission is checked against, each with its reason (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from services.intake.blobs import Blob
from services.intake.domain import SubmissionRefused, fingerprint
from services.intake.parsing import Part, Unreadable, parse_form, parse_json
from services.intake.schemas import SubmitDossier
from services.intake.validation import Limits, check_submission, procedure_for
from shared.reference.catalog import load_catalog

PDF = b"%PDF-1.4\n% test\n"
PILOT = load_catalog("vinh-thanh-2024").versions[-1]
COMMUNE = load_catalog("ninh-kieu-2025").versions[-1]
LIMITS = Limits(max_document_bytes=1000, max_dossier_bytes=2500)
MARRIAGE = "2.002189"  # to_khai, giay_to_ket_hon, giay_to_tuy_than mandatory; postal offered


def _doc(kind: str, content: bytes = PDF, **extra: object) -> dict:
    return {"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(content).decode(), **extra}


ADDRESS = {"recipient_name": "Nguyễn Thị Hoa", "phone": "0912345678",
           "street": "12 Đường 3/2", "ward": "Xã Vĩnh Thạnh", "province": "Thành phố Cần Thơ"}


def _submission(**changes: object) -> dict:
    body = {
        "portal_submission_id": "s-1", "procedure_code": MARRIAGE,
        "applicant": {"full_name": "Nguyễn Thị Hoa", "id_number": "092301004567",
                      "phone": "0912345678", "email": "hoa@example.vn"},
        "return_method": "postal", "postal_address": ADDRESS,
        "documents": [_doc("to_khai"), _doc("giay_to_ket_hon"), _doc("giay_to_tuy_than")],
    }
    return {**body, **changes}


def _reasons(body: dict, version=PILOT) -> list[str]:
    try:
        command, documents = parse_json(SubmitDossier, json.dumps(body).encode())
        procedure = procedure_for(command, version, known_elsewhere=False)
        check_submission(command, documents, procedure, LIMITS)
    except SubmissionRefused as refused:
        return refused.reasons
    return []


def test_a_complete_submission_is_acceptable_and_unknown_fields_are_ignored() -> None:
    assert _reasons(_submission(portal="ignored", future_field={"x": 1})) == []


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("id_number", "09230100456", "applicant.id_number: must be the 12-digit"),
    ("id_number", "09230100456a", "applicant.id_number: must be the 12-digit"),
    ("phone", "0212345678", "applicant.phone: must be a Vietnamese mobile number"),
    ("phone", "081234", "applicant.phone: must be a Vietnamese mobile number"),
    ("email", "hoa@", "applicant.email: value is not a valid email address"),
])
def test_applicant_fields_are_checked_without_echoing_the_value(field, value, reason) -> None:
    body = _submission()
    body["applicant"] = {**body["applicant"], field: value}
    reasons = _reasons(body)
    assert len(reasons) == 1 and reasons[0].startswith(reason)
    assert value not in reasons[0]


def test_phone_numbers_in_international_form_are_accepted() -> None:
    body = _submission()
    body["applicant"] = {**body["applicant"], "phone": "+84 912 345 678"}
    assert _reasons(body) == []


def test_an_unknown_or_retired_procedure_is_refused() -> None:
    assert _reasons(_submission(procedure_code="9.999999")) == [
        "procedure_code: unknown procedure '9.999999'"]
    command, _ = parse_json(SubmitDossier, json.dumps(_submission(
        procedure_code="1.013225")).encode())
    with pytest.raises(SubmissionRefused, match="not offered under catalog version"):
        procedure_for(command, PILOT, known_elsewhere=True)


def test_a_counter_channel_for_an_online_only_procedure_is_refused_saying_so() -> None:
    assert _reasons(_submission(channel="counter")) == [
        "channel: 'counter' is not allowed: procedure 2.002189 is received through online only"]
    assert "channel" in _reasons(_submission(channel="paper"))[0]
    body = _submission(channel="counter", documents=[_doc("to_khai"), _doc("giay_to_ket_hon")])
    assert _reasons(body, COMMUNE) == []  # the commune also receives at its counter


def test_postal_return_needs_an_address_and_a_procedure_that_offers_it() -> None:
    assert _reasons(_submission(postal_address=None)) == [
        "postal_address: required when return_method is 'postal'"]
    school = _submission(procedure_code="2.002481", documents=[
        _doc("don_xin_chuyen_truong"), _doc("hoc_ba"), _doc("giay_gioi_thieu")])
    reasons = _reasons(school)
    assert reasons == ["return_method: this procedure does not offer postal return"]
    assert _reasons({**school, "return_method": "online"}) == []


def test_documents_mandatory_type_size_kind_and_emptiness() -> None:
    body = _submission(documents=[
        _doc("to_khai", PDF + b"x" * (1001 - len(PDF))),
        {**_doc("giay_to_ket_hon"), "content_type": "text/plain"},
        _doc("giay_to_tuy_than", b""),
        _doc("anh_the"),
    ])
    assert _reasons(body) == [
        "documents[0] (to_khai): 1001 bytes exceeds the limit of 1000 bytes",
        "documents[1] (giay_to_ket_hon): type 'text/plain' is not accepted "
        "(accepted: application/pdf, image/jpeg, image/png)",
        "documents[2] (giay_to_tuy_than): the document is empty",
        "documents[3] (anh_the): not a document of procedure 2.002189 (its kinds: to_khai, "
        "giay_to_ket_hon, trich_luc_ly_hon, giay_to_tuy_than, van_ban_uy_quyen)",
    ]
    missing = _reasons(_submission(documents=[_doc("to_khai")]))
    assert [r.split(" (")[0] for r in missing] == [
        "documents: missing mandatory document 'giay_to_ket_hon'",
        "documents: missing mandatory document 'giay_to_tuy_than'"]


def test_the_dossier_total_is_limited() -> None:
    body = _submission(documents=[_doc(k, PDF + b"y" * (900 - len(PDF))) for k in
                                  ("to_khai", "giay_to_ket_hon", "giay_to_tuy_than")])
    assert _reasons(body) == [
        "documents: 2700 bytes in all exceeds the limit of 2500 bytes per dossier"]


def test_a_declared_checksum_must_match_the_content() -> None:
    good = hashlib.sha256(PDF).hexdigest()
    assert _reasons(_submission(documents=[
        _doc("to_khai", sha256=good.upper()), _doc("giay_to_ket_hon"),
        _doc("giay_to_tuy_than")])) == []
    reasons = _reasons(_submission(documents=[
        _doc("to_khai", sha256="0" * 64), _doc("giay_to_ket_hon"), _doc("giay_to_tuy_than")]))
    assert reasons == [f"documents[0] (to_khai): declared sha256 {'0' * 64} does not match "
                       f"the content (sha256 {good})"]
    assert "sha256: must be a SHA-256 digest" in _reasons(_submission(documents=[
        _doc("to_khai", sha256="abc")]))[0]


def test_bad_base64_and_a_helper_without_a_name_are_refused() -> None:
    reasons = _reasons(_submission(documents=[{**_doc("to_khai"), "content_base64": "%%%"}]))
    assert reasons == ["documents[0] (to_khai): content_base64 is not valid base64"]
    reasons = _reasons(_submission(submitted_by={"kind": "helper", "organisation": "Đoàn TN"}))
    assert reasons == ["submitted_by: a helper's submission needs the helper's name"]


def test_a_body_that_is_not_a_json_object_is_unreadable() -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        with pytest.raises(Unreadable):
            parse_json(SubmitDossier, body)


def test_the_same_dossier_as_json_or_multipart_is_one_submission() -> None:
    body = _submission()
    json_command, json_docs = parse_json(SubmitDossier, json.dumps(body).encode())
    form = {**body, "documents": [{"kind": d["kind"], "part": f"f{i}"}
                                  for i, d in enumerate(body["documents"])]}
    files = {f"f{i}": Part(d["filename"], "application/pdf", Blob.of(PDF))
             for i, d in enumerate(body["documents"])}
    form_command, form_docs = parse_form(SubmitDossier, {"json": json.dumps(form)}, files)
    assert fingerprint(json_command, json_docs) == fingerprint(form_command, form_docs)
    other = _submission(postal_address={**ADDRESS, "street": "khác"})
    changed, _ = parse_json(SubmitDossier, json.dumps(other).encode())
    assert fingerprint(changed, json_docs) != fingerprint(json_command, json_docs)


def test_a_one_line_or_incomplete_postal_address_is_refused_naming_the_fields() -> None:
    one_line = _reasons(_submission(postal_address="12 Đường 3/2, Vĩnh Thạnh, Cần Thơ"))
    assert len(one_line) == 1 and one_line[0].startswith("postal_address: ")
    for name in ("recipient_name", "phone", "street", "ward", "province"):
        assert name in one_line[0]
    partial = {k: v for k, v in ADDRESS.items() if k not in ("ward", "province")}
    assert sorted(_reasons(_submission(postal_address=partial))) == [
        "postal_address.province: Field required", "postal_address.ward: Field required"]
    assert _reasons(_submission(postal_address={**ADDRESS, "phone": "12345"})) == [
        "postal_address.phone: must be a Vietnamese mobile number, like "
        "0912345678 or +84912345678"]
    without_district = _reasons(_submission(postal_address={**ADDRESS, "ward_code": "31471"}))
    assert without_district == []  # districts are gone since 1/7/2025


def test_multipart_names_a_missing_part() -> None:
    form = {**_submission(), "documents": [{"kind": "to_khai", "part": "nope"}]}
    with pytest.raises(SubmissionRefused) as refused:
        parse_form(SubmitDossier, {"json": json.dumps(form)},
                   {"f": Part("a.pdf", None, Blob.of(PDF))})
    assert refused.value.reasons == ["documents[0] (to_khai): no file part named 'nope' in the "
                                     "upload"]
