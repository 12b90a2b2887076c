"""The printed forms intake has the data for: the receipt (Mẫu 01) from the dossier itself;
the supplement request, the refusal, the apology and the stop notice from the events of its
timeline. The control slip and the book are processing's (it holds the hand-overs)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import asyncpg

from services.intake import repository
from services.intake.deps import IntakeDeps
from services.intake.domain import DossierNotFound
from shared.forms import FormsError, FormSet, FormSpec, form_sets, qr_svg, render_html, render_pdf
from shared.reference.catalog import CatalogError

RETURN_METHODS = {"online": "Trực tuyến, trên Cổng dịch vụ công",
                  "postal": "Qua dịch vụ bưu chính công ích"}
_EVENT_OF = {"supplement-request": "SupplementRequested", "refusal": "DossierRefusedAtIntake",
             "apology": "DossierApologyIssued", "stop-notice": "DossierProcessingStopped"}


class FormUnavailable(LookupError):
    """The form does not exist for this dossier, is not intake's, or its event has not
    happened (HTTP 404, with the reason)."""


def tracking_url(deps: IntakeDeps, code: str) -> str:
    """The citizen page of the dossier, as the receipt's QR code carries it (no secret)."""
    return f"{deps.public_url}/citizen/track?code={quote(code)}"


async def dossier_form(deps: IntakeDeps, code: str, ref: str, *,
                       portal: str | None = None) -> tuple[FormSpec, bytes]:
    """The PDF of form ``ref`` (its key or its number in the dossier's set) of the dossier;
    ``portal``, when given, must be the dossier's."""
    _, form, html = await dossier_form_html(deps, code, ref, portal=portal)
    return form, await asyncio.to_thread(render_pdf, html)


async def dossier_form_html(deps: IntakeDeps, code: str, ref: str, *,
                            portal: str | None = None) -> tuple[FormSet, FormSpec, str]:
    async with deps.pool.acquire() as conn:
        row = await repository.dossier_for_forms(conn, code)
        if row is None or (portal is not None and row["portal"] != portal):
            raise DossierNotFound(code)
        timeline = await repository.get_timeline(conn, row["id"])
    form_set = form_sets().in_force(row["received_at"])
    try:
        form = form_set.form(ref)
    except FormsError as unknown:
        raise FormUnavailable(str(unknown)) from None
    if form.served_by != "intake":
        raise FormUnavailable(
            f"form {form.number} ({form.key}) of {form_set.name} is printed by processing, "
            f"which holds the hand-overs: GET /v1/dossiers/{code}/forms/{form.key} there")
    data = _data(form, row, timeline, deps)
    return form_set, form, render_html(form_set, form, data, agency_name=_agency(row, deps))


def _agency(row: asyncpg.Record, deps: IntakeDeps) -> str:
    try:
        return deps.catalog.version(row["catalog_version"]).agency.name
    except CatalogError:
        return deps.catalog.versions[-1].agency.name


def _procedure(row: asyncpg.Record, deps: IntakeDeps) -> Any:
    try:
        return deps.catalog.version(row["catalog_version"]).procedure(row["procedure_code"])
    except CatalogError:
        return None


def _latest(timeline: Sequence[asyncpg.Record], event_type: str) -> asyncpg.Record | None:
    found = [t for t in timeline if t["event_type"] == event_type]
    return found[-1] if found else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _data(form: FormSpec, row: asyncpg.Record, timeline: Sequence[asyncpg.Record],
          deps: IntakeDeps) -> dict[str, Any]:
    procedure = _procedure(row, deps)
    names = {r.kind: r.name for r in procedure.required_documents} if procedure else {}
    common = {"code": row["code"], "applicant_name": row["applicant_name"],
              "procedure_name": procedure.name if procedure else row["procedure_code"],
              "received_at": row["received_at"]}
    if form.key == "receipt":
        helper = row["submitted_by"] or {}
        url = tracking_url(deps, row["code"])
        received: datetime = row["received_at"]
        return {**common, "number": row["code"], "issued_on": received,
                "submitter": helper.get("name") if helper.get("kind") == "helper" else None,
                "secret": row["citizen_secret"],
                "documents": [{"name": names.get(d["kind"], d["kind"]),
                               "filename": d["filename"]} for d in row["documents"]],
                "statutory_days": procedure.statutory_days if procedure else "…",
                "due_date": row["due_date"],
                "return_method": RETURN_METHODS.get(row["return_method"], row["return_method"]),
                "book_number": f"{row['department_code'].upper()}/{received.year}",
                "tracking_url": url, "qr": qr_svg(url),
                "audit_head": repository.audit_head(timeline)}
    entry = _latest(timeline, _EVENT_OF[form.key])
    if entry is None:
        raise FormUnavailable(f"dossier {row['code']} has no {_EVENT_OF[form.key]} event: "
                              f"there is no form {form.number} ({form.key}) to print")
    detail = entry["detail"] or {}
    base = {**common, "number": f"{row['code']}/{form.number}", "issued_on": entry["occurred_at"],
            "reason": detail.get("reason", "")}
    if form.key == "supplement-request":
        return {**base, "deadline": _day(detail.get("deadline")),
                "missing": [names.get(m, m) for m in detail.get("missing", [])]}
    if form.key == "apology":
        return {**base, "new_due_date": _day(detail.get("new_due_date")),
                "previous_due_date": _due_before(timeline, entry)}
    return base


def _due_before(timeline: Sequence[asyncpg.Record], apology: asyncpg.Record) -> date | None:
    """The due date the apology moves: the last one the timeline set before it."""
    due = None
    for entry in timeline:
        if entry is apology:
            break
        detail = entry["detail"] or {}
        due = _day(detail.get("new_due_date") or detail.get("due_date")) or due
    return due
