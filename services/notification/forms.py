"""The printed form an email attaches (issue 13): the receipt and appointment (Mẫu 01) with the
acceptance, the supplement request (02), the refusal (03) and the apology (04) with theirs.

Two halves, for the two moments of a message:

- when the message is queued, :func:`form_of` writes down which form of which set (chosen by
  the dossier's date of receipt) it carries and everything the form prints, from the event and
  from what notification kept of the submission (``Submission``; notification never reads
  intake's database) resolved against the catalog (the agency, the documents' names). That is
  stored with the message, as its template values are, so a resend prints the same form;
- when the message is sent, :func:`render` turns it into the PDF, inside the send attempt.
  Rendering is deterministic: the same stored form gives the same bytes, so an email resent
  after a crash carries the same attachment under the same Message-ID.

No I/O here (the catalog is in memory); ``render`` is CPU-bound: call it in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.contracts.events import (
    DossierAccepted,
    DossierApologyIssued,
    DossierRefusedAtIntake,
    DossierSubmitted,
    Envelope,
    Event,
    SupplementRequested,
)
from shared.forms import (
    FormKey,
    FormsError,
    attachment_name,
    form_sets,
    qr_svg,
    render_html,
    render_pdf,
)
from shared.reference.catalog import Catalog, CatalogError

RETURN_METHODS = {"online": "Trực tuyến, trên Cổng dịch vụ công",
                  "postal": "Qua dịch vụ bưu chính công ích"}
"""How the receipt prints the return method (as intake's printed receipt does)."""


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str
    filename: str


class Submission(BaseModel):
    """What notification keeps of ``DossierSubmitted`` for the forms it attaches."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    received_at: datetime
    agency_code: str
    catalog_version: str
    procedure_code: str
    department_code: str
    documents: tuple[Document, ...] = ()
    statutory_days: int | None = None
    return_method: str
    due_date: date
    helper: str | None = None
    """The helper's name when somebody submitted on the citizen's behalf."""

    @classmethod
    def of(cls, event: DossierSubmitted) -> Submission:
        by = event.submitted_by
        return cls(received_at=event.received_at, agency_code=event.agency_code,
                   catalog_version=event.catalog_version, procedure_code=event.procedure_code,
                   department_code=event.department_code,
                   documents=tuple(Document(kind=d.kind, filename=d.filename)
                                   for d in event.documents),
                   statutory_days=event.statutory_days, return_method=event.return_method,
                   due_date=event.due_date,
                   helper=by.name if by is not None and by.kind == "helper" else None)


class FormData(BaseModel):
    """Everything the four forms print; a form's template reads the fields it needs (the
    others are None). Stored as JSON, read back typed: dates print as dates again."""

    model_config = ConfigDict(frozen=True)
    code: str
    number: str
    applicant_name: str
    procedure_name: str
    received_at: datetime
    issued_on: datetime
    submitter: str | None = None
    secret: str | None = None  # intake's, never sent by email: the receipt prints without it
    documents: tuple[dict[str, str], ...] = ()
    statutory_days: int | str = "…"
    due_date: date | None = None
    return_method: str = ""
    book_number: str = ""
    tracking_url: str | None = None
    reason: str = ""
    deadline: date | None = None
    missing: tuple[str, ...] = ()
    previous_due_date: date | None = None
    new_due_date: date | None = None


class Attachment(BaseModel):
    """The form a message carries, as stored with it (``message.attachment``)."""

    model_config = ConfigDict(frozen=True)
    form_set: str
    form: FormKey
    agency_name: str
    filename: str
    data: FormData


@dataclass(frozen=True)
class Pdf:
    filename: str
    content: bytes


def form_of(key: FormKey, event: Event, envelope: Envelope, *, dossier_code: str,
            full_name: str, procedure_name: str, submission: Submission | None,
            catalog: Catalog, tracking_url: str | None = None) -> Attachment | None:
    """The form ``key`` as the message announcing ``event`` prints it; None when the
    submission was not kept (a dossier submitted before issue 13: nothing to print from)."""
    if submission is None:
        return None
    form_set = form_sets().in_force(submission.received_at)
    if not form_set.has(key):
        return None
    form = form_set.form(key)
    agency, procedure = _catalog(catalog, submission)
    names = {r.kind: r.name for r in procedure.required_documents} if procedure else {}
    common: dict[str, Any] = {
        "code": dossier_code, "applicant_name": full_name, "procedure_name": procedure_name,
        "received_at": submission.received_at, "issued_on": envelope.occurred_at,
        "number": f"{dossier_code}/{form.number}"}
    if isinstance(event, DossierAccepted):
        statutory = submission.statutory_days or (procedure.statutory_days if procedure
                                                  else None)
        url = tracking_url.format(code=dossier_code) if tracking_url else None
        data = FormData(**{
            **common, "number": dossier_code, "issued_on": submission.received_at,
            "submitter": submission.helper,
            "documents": tuple({"name": names.get(d.kind, d.kind), "filename": d.filename}
                               for d in submission.documents),
            "statutory_days": statutory if statutory is not None else "…",
            "due_date": event.due_date,
            "return_method": RETURN_METHODS.get(event.return_method, event.return_method),
            "book_number": f"{submission.department_code.upper()}/"
                           f"{submission.received_at.year}",
            "tracking_url": url})
    elif isinstance(event, SupplementRequested):
        data = FormData(**common, reason=event.reason, deadline=event.deadline,
                        missing=tuple(names.get(m, m) for m in event.missing))
    elif isinstance(event, DossierApologyIssued):
        data = FormData(**common, reason=event.reason,
                        previous_due_date=event.previous_due_date,
                        new_due_date=event.new_due_date)
    elif isinstance(event, DossierRefusedAtIntake):
        data = FormData(**common, reason=event.reason)
    else:
        raise TypeError(f"no form is printed from {type(event).__name__}")
    return Attachment(form_set=form_set.id, form=key, agency_name=agency,
                      filename=attachment_name(form, dossier_code), data=data)


def _catalog(catalog: Catalog, submission: Submission) -> tuple[str, Any]:
    """The agency's name and the procedure in the catalog version the dossier was received
    under (the latest version when that one is gone)."""
    try:
        version = catalog.version(submission.catalog_version)
    except CatalogError:
        version = catalog.versions[-1]
    return version.agency.name, version.procedure(submission.procedure_code)


def render(stored: Attachment | dict[str, Any]) -> Pdf:
    """The PDF of a stored form (blocking, CPU-bound: 0.1–0.3 s; call it in a thread)."""
    attachment = (stored if isinstance(stored, Attachment)
                  else Attachment.model_validate(stored))
    form_set = next((s for s in form_sets().sets if s.id == attachment.form_set), None)
    if form_set is None:
        raise FormsError(f"no form set {attachment.form_set!r} to print {attachment.filename}")
    data = attachment.data.model_dump()
    data["qr"] = qr_svg(data["tracking_url"]) if data["tracking_url"] else None
    html = render_html(form_set, form_set.form(attachment.form), data,
                       agency_name=attachment.agency_name)
    return Pdf(attachment.filename, render_pdf(html))


def stored_submission(event: DossierSubmitted) -> dict[str, Any]:
    """What the contact keeps of the submission (JSON)."""
    return Submission.of(event).model_dump(mode="json")


def stored(attachment: Attachment) -> dict[str, Any]:
    """The attachment as the message row keeps it (JSON)."""
    return attachment.model_dump(mode="json")

