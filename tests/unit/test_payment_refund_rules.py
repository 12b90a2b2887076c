"""Refund rules are catalog data, validated at load (the gateway's refunds are tested on the
sandbox VNPay: tests/integration/payment/test_payment_refunds.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.reference.catalog import load_catalog

VERSION = load_catalog("vinh-thanh-2024").version("vinh-thanh-2024.1")


def with_refund_on(value: object) -> dict[str, object]:
    data = VERSION.model_dump()
    data["procedures"][0]["refund_on"] = value
    return data


def test_by_default_a_withdrawal_or_refusal_at_intake_refunds_and_a_stop_does_not() -> None:
    procedure = VERSION.procedure("2.002189")
    assert procedure is not None
    assert set(procedure.refund_on) == {"withdrawn", "refused_at_intake"}


@pytest.mark.parametrize("bad", [["decided"], ["withdrawn", "withdrawn"]])
def test_an_unknown_or_repeated_refund_cause_is_refused_at_load(bad: list[str]) -> None:
    with pytest.raises(ValidationError, match="refund_on"):
        type(VERSION).model_validate(with_refund_on(bad))
