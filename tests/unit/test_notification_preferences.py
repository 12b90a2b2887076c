"""The applicant's channel choice: an optional field of the submission, carried to the event,
and what notification makes of it (both by default, where both addresses are given)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.intake.schemas import ApplicantIn
from services.notification.domain import Contact
from shared.contracts.events import Applicant

APPLICANT = {"full_name": "Trần Văn Bình", "id_number": "092301004567", "phone": "0912345678",
             "email": "binh@example.vn"}


@pytest.mark.parametrize("channels", [None, ["email"], ["sms"], ["email", "sms"]])
def test_a_submission_may_choose_its_channels_and_the_event_carries_them(channels) -> None:
    given = {**APPLICANT, **({} if channels is None else {"channels": channels})}
    applicant = Applicant(**ApplicantIn.model_validate(given).model_dump())
    assert applicant.channels == (None if channels is None else tuple(channels))


@pytest.mark.parametrize("channels", [[], ["fax"], ["email", "sms", "email"]])
def test_an_unknown_or_empty_choice_is_refused_naming_the_field(channels) -> None:
    with pytest.raises(ValidationError) as refused:
        ApplicantIn.model_validate({**APPLICANT, "channels": channels})
    assert refused.value.errors()[0]["loc"][0] == "channels"


def test_an_event_from_before_the_choice_existed_still_reads() -> None:
    assert Applicant.model_validate(APPLICANT).channels is None


@pytest.mark.parametrize(("channels", "email", "phone", "chosen"), [
    (None, "binh@example.vn", "0912345678", ("email", "sms")),
    (None, "binh@example.vn", "", ("email",)),
    (("sms",), "binh@example.vn", "0912345678", ("sms",)),
    (("sms", "email"), "binh@example.vn", "0912345678", ("email", "sms")),
    (("sms",), "binh@example.vn", "", ()),
])
def test_the_default_is_every_channel_with_an_address(channels, email, phone, chosen) -> None:
    contact = Contact(dossier_code="VTH-250123-0001", full_name="Trần Văn Bình", email=email,
                      procedure_name="Thủ tục", phone=phone, channels=channels)
    assert contact.chosen_channels() == chosen

