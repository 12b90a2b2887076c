"""What processing's HTTP models let through: printable, bounded text, and the dossier codes
intake issues (checked against intake's own formula, not a copy of it)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from services.intake.domain import dossier_code
from services.processing.schemas import FileName, OfficerText, SearchText
from shared.contracts.types import DossierCode

TEXT, CODE = TypeAdapter(OfficerText), TypeAdapter(DossierCode)


def test_officers_text_keeps_vietnamese_tabs_and_line_breaks() -> None:
    for text in ("Thiếu bản vẽ\r\n\tmặt bằng", "Đã xác minh ✓ 🏠", "a\u200bb"):
        assert TEXT.validate_python(text) == text.strip()


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f"])
def test_control_characters_are_refused_where_they_are(char) -> None:
    for adapter in (TEXT, TypeAdapter(SearchText), TypeAdapter(FileName)):
        with pytest.raises(ValidationError, match=rf"U\+{ord(char):04X} \(position 2\)"):
            adapter.validate_python(f"ab{char}cd")


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_a_search_or_a_file_name_is_one_line(char) -> None:
    assert TEXT.validate_python(f"ab{char}cd") == f"ab{char}cd"
    for adapter in (TypeAdapter(SearchText), TypeAdapter(FileName)):
        with pytest.raises(ValidationError, match="tabs, line breaks"):
            adapter.validate_python(f"ab{char}cd")


@pytest.mark.parametrize("char", ["\ud800", "\udfff"])
def test_lone_surrogates_are_refused(char) -> None:
    with pytest.raises(ValidationError, match="string_unicode"):
        TEXT.validate_python(f"ab{char}cd")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(agency=st.from_regex(r"\A[A-Z][A-Z0-9]{1,9}\Z"),
       day=st.dates(date(2000, 1, 1), date(2099, 12, 31)), number=st.integers(1, 2**31 - 1))
def test_every_code_intake_issues_is_a_dossier_code(agency: str, day: date, number: int
                                                    ) -> None:
    code = dossier_code(agency, day, number)
    assert CODE.validate_python(code) == code


@pytest.mark.parametrize("code", ["", "A-250303-0001", "vth-250303-0001", "VTH-25033-0001",
                                  "VTH-250303-001", "VTH-250303-0001\n", "VTH_250303_0001",
                                  "VTH-250303-0001-1", "1VTH-250303-0001"])
def test_what_intake_never_issues_is_not_a_dossier_code(code: str) -> None:
    with pytest.raises(ValidationError):
        CODE.validate_python(code)
