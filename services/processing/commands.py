"""The officer's actions as the HTTP API takes them: one model per action, told apart by
``action``, each with exactly the fields it needs, so a missing reason or date is a 422
that names the field. ``reason`` is shown to the citizen in the dossier's timeline."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
DepartmentCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,11}$")]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int | None = Field(
        None, description="The version the officer saw; a different current version is a 409 "
                          "(somebody acted meanwhile).")


class AcceptDossier(_Command):
    action: Literal["accept"]


class RefuseAtIntake(_Command):
    action: Literal["refuse_at_intake"]
    reason: Text


class StartProcessing(_Command):
    action: Literal["start"]


class RequestSupplement(_Command):
    action: Literal["request_supplement"]
    missing: list[Text] = Field(min_length=1, max_length=50,
                                description="What the citizen must add, one item per entry.")
    reason: Text
    deadline: date | None = Field(None, description="Defaults to the procedure's supplement "
                                                    "deadline in working days from today.")


class ProposeDecision(_Command):
    action: Literal["propose"]
    proposed_outcome: Literal["approved", "refused"]
    reason: Text | None = None


class ResultDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    content_type: Literal["application/pdf", "image/jpeg", "image/png"]
    content_base64: str = Field(min_length=1)


class ApproveDossier(_Command):
    action: Literal["approve"]
    result_document: ResultDocument
    reason: Text | None = None


class RefuseDossier(_Command):
    action: Literal["refuse"]
    reason: Text


class StopProcessing(_Command):
    action: Literal["stop"]
    reason: Text


class TransferDossier(_Command):
    action: Literal["transfer"]
    to_department: DepartmentCode
    reason: Text | None = None


class IssueApology(_Command):
    action: Literal["issue_apology"]
    reason: Text
    new_due_date: date


OfficerCommand = Annotated[
    AcceptDossier | RefuseAtIntake | StartProcessing | RequestSupplement | ProposeDecision
    | ApproveDossier | RefuseDossier | StopProcessing | TransferDossier | IssueApology,
    Field(discriminator="action"),
]
