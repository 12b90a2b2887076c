import json
import logging

import pytest
import structlog

from shared.runtime.logging import (
    configure_logging,
    mask_email,
    mask_identity_numbers,
    mask_personal_data,
)


def test_identity_numbers_are_masked_wherever_they_appear() -> None:
    assert mask_identity_numbers("id 079203001234 ok") == "id 079******234 ok"
    assert mask_identity_numbers("phone 0912345678 stays") == "phone 0912345678 stays"
    assert mask_identity_numbers("1234567890123") == "1234567890123"  # 13 digits: not a CCCD


def test_no_log_line_carries_an_identity_number_in_clear(capsys) -> None:
    configure_logging("test", fmt="json")
    structlog.get_logger("t").info("submitted 079203001234",
                                   applicant={"id_number": "079203001234"})
    logging.getLogger("library").warning("library saw 079203001234")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 2
    text = json.dumps(lines)
    assert "079203001234" not in text
    assert "079******234" in text
    assert lines[0]["service"] == "test"


def test_emails_are_masked() -> None:
    assert mask_email("nguyen.van.a@example.vn") == "n***@example.vn"


APPLICANT = {"full_name": "Nguyễn Thị Hoa", "id_number": "092301004567", "phone": "0912345678",
             "email": "hoa@example.vn", "postal_address": "12 Đường 3/2, Vĩnh Thạnh, Cần Thơ"}


def _clear_values() -> list[str]:
    return [*APPLICANT.values(), "Nguyễn Thị", "Thị Hoa", "12345678", "hoa@", "Đường 3/2"]


@pytest.mark.parametrize(("text", "masked"), [
    ("phone 0912345678 ok", "phone 09******78 ok"),
    ("phone +84912345678 ok", "phone +849******78 ok"),
    ("phone ０９１２３４５６７８", "phone ０９******７８"),  # \\d: fullwidth digits too
    ("write to hoa.nguyen@example.vn now", "write to h***@example.vn now"),
    ("to 12 Đường 3/2, Vĩnh Thạnh, Cần Thơ", "to [address]"),
    ("at Số 5 ngõ 12 phố Huế, Hà Nội", "at [address]"),
    ("applicant Nguyễn Thị Hoa submitted", "applicant N*** T*** H*** submitted"),
    ("input_value='Phạm Thị Lan'", "input_value='P*** T*** L***'"),
])
def test_personal_data_in_any_text_is_masked(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize("text", [
    "dossier VTH-250123-0001 due 2025-01-23T10:00:00+07:00",
    "offset 1767225600 of partition 3", "fee 150000 VND", "Lê is a surname alone",
    "consumer intake.portal.submissions lag 12", "officer tp.approver signed in",
])
def test_what_is_not_personal_stays_readable(text: str) -> None:
    assert mask_personal_data(text) == text


def test_no_log_line_carries_an_applicants_data_in_any_field_or_message(capsys) -> None:
    configure_logging("test", fmt="json")
    log = structlog.get_logger("t")
    log.info("submitted", applicant=APPLICANT, delivery={"address": "Ấp Thạnh Lợi"},
             names=["Trần Văn Nam"], error=repr(ValueError(f"bad input {APPLICANT}")))
    log.info(f"mail to {APPLICANT['email']} for {APPLICANT['full_name']}")
    logging.getLogger("aiokafka").error("record %s", APPLICANT)
    text = capsys.readouterr().err
    assert len(text.splitlines()) == 3
    for value in [*_clear_values(), "Ấp Thạnh Lợi", "Trần Văn Nam"]:
        assert value not in text, value
    first = json.loads(text.splitlines()[0])
    assert first["applicant"]["full_name"] == "***" and first["delivery"]["address"] == "***"
