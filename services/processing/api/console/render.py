"""The console's pages: one Jinja2 environment over services/processing/templates, with
the Vietnamese labels and the date and money formats every page uses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.processing.api.console import labels
from shared.contracts.status import DossierStatus
from shared.reference.workdays import BUSINESS_TZ

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC = Path(__file__).resolve().parents[2] / "static" / "console"


def _day(value: date | None) -> str:
    return "—" if value is None else f"{value:%d/%m/%Y}"


def _moment(value: datetime | None) -> str:
    return "—" if value is None else f"{value.astimezone(BUSINESS_TZ):%H:%M %d/%m/%Y}"


def _money(value: Any) -> str:
    amount = int(Decimal(str(value)))
    return f"{amount:,}".replace(",", ".") + " đồng"


def _size(value: int) -> str:
    if value >= 1024 * 1024:
        return f"{value / (1024 * 1024):.1f} MB".replace(".", ",")
    return f"{max(1, round(value / 1024))} KB"


environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
environment.filters.update(day=_day, moment=_moment, money=_money, size=_size)
environment.globals.update(labels=labels, vi=labels.vietnamese,
                           status_labels={s.value: s.label_vi for s in DossierStatus})


def page(request: Request, template: str, context: dict[str, Any], status: int = 200
         ) -> HTMLResponse:
    html = environment.get_template(f"console/{template}").render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
        # Only our own script (htmx) and style: an injected <script> would not run.
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                   "frame-ancestors 'none'; form-action 'self'"})
