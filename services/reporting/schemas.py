"""Reporting's HTTP questions: the indicators' filters and period, and a what-if."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.reporting.domain.periods import Granularity
from shared.contracts.types import Line


class _Form(BaseModel):
    """A query a form sends: a field left empty (``agency=``) is no filter, not a filter on ''."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_none(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data


class IndicatorQuery(_Form):

    agency: Line | None = None
    department: Line | None = None
    procedure: Line | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    period: Granularity = "month"


class WhatIfQuery(_Form):

    procedure: Line
    days: int | None = Field(None, ge=0, le=365)
    catalog_version: Line | None = None
    agency: Line | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None


class InvalidParameter(BaseModel):
    """One entry of FastAPI's answer to parameters that fail validation."""

    model_config = ConfigDict(extra="allow")  # input, ctx, url
    loc: list[str | int]
    msg: str
    type: str


class Refused(BaseModel):
    """A 422: ``detail`` is the reason as a sentence (a period that cannot be reported, a
    what-if that cannot be run), or FastAPI's list of the parameters that failed validation."""

    detail: str | list[InvalidParameter]


REFUSED: dict[int | str, dict[str, Any]] = {422: {
    "model": Refused, "description": "Invalid parameters, or a period or what-if that "
                                     "cannot be answered; `detail` says why"}}

REFUSED_PAGE: dict[int | str, dict[str, Any]] = {422: {
    "description": REFUSED[422]["description"] + " (as JSON, like the API's)",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Refused"}}}}}
"""A page's 422 (the page's own media type is HTML): the schema the API's routes publish."""
