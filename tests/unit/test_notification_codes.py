"""What each eSMS CodeResult means for a message: accepted, refused for this recipient
(permanent), our set-up is wrong (technical, not retried), or try again (temporary); an
unknown code is temporary."""

from __future__ import annotations

import pytest

from services.notification.domain import esms_code, failure_status


@pytest.mark.parametrize(("code", "kind"), [
    ("100", "accepted"), ("124", "accepted"), ("99", "permanent"), ("108", "permanent"),
    ("177", "permanent"), ("101", "technical"), ("102", "technical"), ("104", "technical"),
    ("118", "technical"), ("140", "technical"), ("146", "technical"), ("103", "temporary"),
    ("7777", "temporary"),
])
def test_each_esms_code_means_what_its_table_says(code: str, kind: str) -> None:
    found, reason = esms_code(code)
    assert found == kind and reason
    if kind != "accepted":
        assert failure_status(found) == {"permanent": "permanent-failure",
                                         "technical": "technical-failure",
                                         "temporary": "temporary-failure"}[kind]
