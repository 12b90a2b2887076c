"""The procedure catalog as frozen values: what an agency offers, under which rules.

A dossier keeps the id of the version it was received under, so every rule that decides its
deadline, fee or documents lives here as data and never changes once published.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, time
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from shared.contracts.types import EndCause

Channel = Literal["online", "counter", "postal"]
OnlineLevel = Literal["partial", "full"]
SupplementPolicy = Literal["resume", "restart"]
RefundCause = EndCause  # a refund is decided by why the dossier ended

TEN_MB = 10 * 1024 * 1024
DEFAULT_TYPES = ("application/pdf", "image/jpeg", "image/png")
NATIONAL_CODE = re.compile(r"^[12]\.\d{6}$")

ViText = Annotated[str, Field(min_length=1)]  # names citizens read, in Vietnamese
Mime = Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$")]


class FrozenModel(BaseModel):
    """Published rules never change in place, and an unknown key in the data is a typo."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DocumentRequirement(FrozenModel):
    """One document a citizen uploads; intake checks type and size before accepting."""

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: ViText
    mandatory: bool = True
    accepted_types: tuple[Mime, ...] = Field(DEFAULT_TYPES, min_length=1)
    max_bytes: int = Field(TEN_MB, gt=0)


class Department(FrozenModel):
    """A department (phòng) of the agency; its code names its work topic."""

    code: str = Field(pattern=r"^[a-z][a-z0-9]{1,11}$")
    name: ViText


class Agency(FrozenModel):
    """The receiving agency; ``code`` prefixes every dossier code it issues."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,9}$")
    name: ViText
    departments: tuple[Department, ...] = Field(min_length=1)

    @field_validator("departments")
    @classmethod
    def _unique_departments(cls, value: tuple[Department, ...]) -> tuple[Department, ...]:
        _reject_duplicates([d.code for d in value], "department code")
        return value


class Procedure(FrozenModel):
    """One administrative procedure (TTHC) with the rules a dossier of it follows.

    ``verified`` is true only when the public source confirms both the national code and the
    statutory time; ``note`` keeps whatever the source left uncertain visible to operators.
    """

    code: str = Field(min_length=1)
    national_code: str | None = None
    name: ViText
    department_code: str
    online_level: OnlineLevel
    channels: tuple[Channel, ...] = Field(min_length=1)
    statutory_days: int = Field(ge=0)
    committed_days: int = Field(ge=0)
    fee: int = Field(ge=0, description="VND, paid online before processing goes on")
    postage: int = Field(0, ge=0, description="VND, paid with a postal-return request")
    postal_return: bool
    auto_accept: bool = True
    # False where the specialist's decision needs no separate approver's signature.
    separate_approval: bool = True
    required_documents: tuple[DocumentRequirement, ...] = ()
    cutoff: time = time(17)
    supplement_policy: SupplementPolicy
    supplement_deadline_days: int = Field(ge=1)
    # Working days the citizen has to pay the fee, counted from the day the dossier starts
    # waiting for it (issue 11 item 7); five where the procedure's data says nothing.
    fee_payment_days: int = Field(5, ge=1, le=60)
    # How a dossier ended that gives the citizen a paid fee back. By default: refused at
    # intake or withdrawn, since the office resolved nothing; a stop (status 8, a supplement
    # never came) keeps the fee for the work done. A procedure's data may say otherwise.
    refund_on: tuple[RefundCause, ...] = ("refused_at_intake", "withdrawn")
    verified: bool
    note: str = ""

    @field_validator("cutoff", mode="before")
    @classmethod
    def _cutoff_as_text(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 17:00 as the integer 1020 (base 60): refuse the trap.
        if isinstance(value, int):
            raise ValueError("write the cut-off as a quoted time, e.g. '17:00'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.national_code is not None:
            if not NATIONAL_CODE.match(self.national_code):
                raise ValueError(f"national_code {self.national_code!r} is not like 2.002189")
            if self.code != self.national_code:
                raise ValueError("code must equal national_code when a national code is known")
        elif "LOCAL" not in self.code:
            raise ValueError(f"code {self.code!r} has no national code, so it must contain LOCAL")
        # "1–5 days shorter" is the pilot's pledge (tested on its data), not a rule for all.
        if self.committed_days > self.statutory_days:
            raise ValueError(
                f"committed_days ({self.committed_days}) exceeds statutory_days "
                f"({self.statutory_days})"
            )
        if self.postal_return != (self.postage > 0):
            raise ValueError("postage must be > 0 exactly when postal_return is offered")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels are listed twice")
        if len(set(self.refund_on)) != len(self.refund_on):
            raise ValueError("refund_on lists a cause twice")
        _reject_duplicates([d.kind for d in self.required_documents], "document kind")
        if not self.verified and not self.note.strip():
            raise ValueError("an unverified procedure needs a note saying what is uncertain")
        return self


class CatalogVersion(FrozenModel):
    """The catalog of one agency from ``effective_from`` until the next version."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    effective_from: date
    agency: Agency
    procedures: tuple[Procedure, ...] = Field(min_length=1)
    note: str = ""

    _by_code: dict[str, Procedure] = PrivateAttr(default_factory=dict)
    _departments: dict[str, Department] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> Self:
        _reject_duplicates([p.code for p in self.procedures], "procedure code")
        known = {d.code for d in self.agency.departments}
        for p in self.procedures:
            if p.department_code not in known:
                raise ValueError(
                    f"procedure {p.code}: department_code {p.department_code!r} is not one of "
                    f"the agency's departments {sorted(known)}"
                )
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._by_code = {p.code: p for p in self.procedures}
        self._departments = {d.code: d for d in self.agency.departments}

    def procedure(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def department(self, code: str) -> Department | None:
        return self._departments.get(code)

    @property
    def department_codes(self) -> tuple[str, ...]:
        return tuple(self._departments)


def _reject_duplicates(values: list[str], what: str) -> None:
    twice = sorted(v for v, n in Counter(values).items() if n > 1)
    if twice:
        raise ValueError(f"duplicate {what}: {', '.join(twice)}")
