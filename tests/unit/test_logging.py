import json
import logging

import structlog

from shared.runtime.logging import configure_logging, mask_email, mask_identity_numbers


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
