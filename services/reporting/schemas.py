"""Reporting's HTTP questions: the indicators' filters and period, and a what-if."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.domain.periods import Granularity
from shared.contracts.types import Line


class IndicatorQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    agency: Line | None = None
    department: Line | None = None
    procedure: Line | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    period: Granularity = "month"


class WhatIfQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    procedure: Line
    days: int | None = Field(None, ge=0, le=365)
    catalog_version: Line | None = None
    agency: Line | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None
