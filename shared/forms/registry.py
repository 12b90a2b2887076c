"""The form sets as versioned data: which set is in force on a dossier's date, and which form
a key or a number names in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.reference.workdays import BUSINESS_TZ

FormKey = Literal["receipt", "supplement-request", "refusal", "apology", "stop-notice",
                  "control-slip", "book", "payment-receipt"]
VPCP_SETS = ("tt01-2018", "tt03-2025")


class FormsError(LookupError):
    """No such form, or no set in force on that date."""


class FormSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: FormKey
    number: str
    title: str = Field(min_length=1)
    paper: Literal["A4", "A5"] = "A5"
    orientation: Literal["portrait", "landscape"] = "portrait"
    served_by: Literal["intake", "processing", "payment"]
    unverified: tuple[str, ...] = ()
    """The parts of the form whose wording was not confirmed from the official text."""
    wording: dict[str, str] = Field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"{self.key}.html"


class FormSet(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    legal_basis: str
    effective_from: date
    unverified: tuple[str, ...] = ()
    unit: str
    """The receiving unit printed under the agency (the 2018 and 2025 texts name it apart)."""
    forms: tuple[FormSpec, ...]

    def form(self, ref: str) -> FormSpec:
        """The form named by its key (``receipt``) or its number in this set (``01``)."""
        for spec in self.forms:
            if ref in (spec.key, spec.number):
                return spec
        known = ", ".join(f"{f.number} ({f.key})" for f in self.forms)
        raise FormsError(f"{self.name} has no form {ref!r}; its forms: {known}")

    def has(self, key: str) -> bool:
        return any(f.key == key for f in self.forms)


@dataclass(frozen=True)
class FormSets:
    """The one-stop form sets, oldest first."""

    sets: tuple[FormSet, ...]

    def in_force(self, day: date | datetime) -> FormSet:
        """The set of a dossier received on ``day`` (an instant counts on its business day)."""
        if isinstance(day, datetime):
            day = day.astimezone(BUSINESS_TZ).date()
        chosen = [s for s in self.sets if s.effective_from <= day]
        if not chosen:
            raise FormsError(f"no form set was in force on {day}")
        return chosen[-1]


def _read(name: str) -> FormSet:
    text = files("shared.forms").joinpath("sets", f"{name}.yaml").read_text("utf-8")
    return FormSet.model_validate(yaml.safe_load(text))


@cache
def form_sets() -> FormSets:
    return FormSets(tuple(sorted((_read(n) for n in VPCP_SETS),
                                 key=lambda s: s.effective_from)))


@cache
def payment_forms() -> FormSet:
    return _read("payment")
