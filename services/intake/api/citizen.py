"""Intake's citizen pages (server-rendered, Vietnamese, working without JavaScript; htmx,
vendored under static/, only boosts links and forms): track a dossier, pay its fee, answer a
supplement request, withdraw, rate the service, print the receipt.

Tracking asks what the tracking API asks (the code and the last four digits of the
applicant's phone) and shows nothing personal. Acting asks more: the code and the dossier's
secret, printed on the receipt (Mẫu 01) and nowhere else. Codes are sequential and a phone's
last digits are known to many (anyone who was ever texted by the applicant), while the
receipt is in the applicant's hands; the national ID number's last digits would be no
better, being printed on every photocopy of the card the dossier itself carries. Every proof
attempt counts against the tracking rate limits (per client and per code), and a wrong
secret answers exactly as an unknown code. The forms carry no session, so there is no cookie
for a cross-site request to ride on: each form brings its own proof.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import date, datetime
from importlib.resources import files
from typing import Any

import structlog
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from services.intake import repository
from services.intake.api.body import check_declared
from services.intake.api.deps import Deps
from services.intake.api.signed import FORM_OVERHEAD, SIGNED_BODY_CEILING
from services.intake.api.tracking import track
from services.intake.blobs import Blob
from services.intake.content import SIGNATURES, attachment, safe_filename
from services.intake.deps import IntakeDeps
from services.intake.domain import Conflict, DecodedDocument, DossierNotFound, SubmissionRefused
from services.intake.handlers.forms import FormUnavailable, dossier_form
from services.intake.handlers.rating import RATING_LABELS, AlreadyRated, rate_dossier
from services.intake.handlers.requests import provide_supplement, request_withdrawal
from services.intake.schemas import DocumentIn, ProvideSupplement, RequestWithdrawal
from shared.contracts.status import WITHDRAWABLE_STATUSES, DossierStatus
from shared.contracts.types import DOSSIER_CODE_PATTERN, bounded_text
from shared.forms import PDF, attachment_name, form_sets
from shared.reference.catalog import CatalogError
from shared.reference.workdays import BUSINESS_TZ

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/citizen", tags=["citizen pages"], include_in_schema=False)
_STATIC = {"htmx.min.js": "text/javascript; charset=utf-8",
           "citizen.css": "text/css; charset=utf-8"}
_HEADERS = {"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}
_TEXT = TypeAdapter(bounded_text(1000, multiline=True))
_EVENT_FORMS = {"SupplementRequested": "supplement-request",
                "DossierRefusedAtIntake": "refusal", "DossierApologyIssued": "apology",
                "DossierProcessingStopped": "stop-notice"}
WRONG_PROOF = "Mã hồ sơ hoặc mã xác thực không đúng."


def _short_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(BUSINESS_TZ)
    return f"{value:%d/%m/%Y}"


def _short_datetime(value: datetime) -> str:
    return f"{value.astimezone(BUSINESS_TZ):%H:%M %d/%m/%Y}"


_env = Environment(loader=PackageLoader("services.intake", "templates"),
                   autoescape=select_autoescape(["html"]))
_env.filters.update(short_date=_short_date, short_datetime=_short_datetime)


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = unicodedata.normalize("NFC", _env.get_template(f"citizen/{name}").render(**context))
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _valid_code(code: str) -> bool:
    return bool(re.fullmatch(DOSSIER_CODE_PATTERN, code))


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in _STATIC:
        raise HTTPException(404, "Không tìm thấy")
    content = files("services.intake").joinpath("static", name).read_bytes()
    return Response(content, media_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@router.get("", response_class=HTMLResponse)
async def home(code: str | None = None) -> HTMLResponse:
    return page("home.html", code=code if code and _valid_code(code) else None)


@router.get("/track", response_class=HTMLResponse)
async def track_page(request: Request, deps: Deps, code: str = "",
                     phone_last4: str = "") -> HTMLResponse:
    """The QR code on the receipt links here with the code only: the page asks the rest."""
    code = code.strip().upper()
    if not _valid_code(code):
        return page("home.html", 422, errors=["Mã hồ sơ không đúng định dạng "
                                              "(VD: VTH-250123-0001)."])
    if not phone_last4:
        return page("home.html", code=code)
    if not re.fullmatch(r"[0-9]{4}", phone_last4):
        return page("home.html", 422, code=code,
                    errors=["Vui lòng nhập đúng 4 chữ số cuối của số điện thoại."])
    try:
        view = await track(code, phone_last4, request, deps)
    except HTTPException as refused:
        message = (f"Không tìm thấy hồ sơ có mã {code}, hoặc 4 số cuối điện thoại không "
                   "đúng." if refused.status_code == 404 else str(refused.detail))
        return page("home.html", refused.status_code, code=code, errors=[message])
    return page("track.html", view=view, **await _actions(deps, code, view.status))


async def _actions(deps: IntakeDeps, code: str, status: str) -> dict[str, Any]:
    """What the citizen may do now: the missing documents, withdraw, rate, print."""
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        assert row is not None  # tracked a moment ago; dossiers are never deleted
        timeline = await repository.get_timeline(conn, row["id"])
        rating = await repository.get_rating(conn, row["id"])
    try:
        procedure = deps.catalog.version(row["catalog_version"]).procedure(row["procedure_code"])
    except CatalogError:  # a version retired from the data set: no names to show
        procedure = None
    names = {r.kind: r.name for r in procedure.required_documents} if procedure else {}
    missing, deadline = None, None
    if status == DossierStatus.AWAITING_SUPPLEMENT:
        request = await _open_request(deps, row["id"])
        if request is not None:
            kinds = [m for m in request.get("missing", []) if m in names]
            missing = [{"kind": k, "name": names[k]} for k in kinds]
            deadline = date.fromisoformat(request["deadline"]) if request.get(
                "deadline") else None
    form_set = form_sets().in_force(row["received_at"])
    keys = ["receipt", *dict.fromkeys(_EVENT_FORMS[t["event_type"]] for t in timeline
                                      if t["event_type"] in _EVENT_FORMS)]
    printable = [(k, f"Mẫu số {form_set.form(k).number}: {form_set.form(k).title}")
                 for k in keys if form_set.has(k)]
    return {"missing": missing, "deadline": deadline,
            "can_withdraw": status in WITHDRAWABLE_STATUSES
            and row["withdrawal_requested_at"] is None,
            "can_rate": status == DossierStatus.RESULT_RETURNED and rating is None,
            "rated": RATING_LABELS[rating["rating"]] if rating else None,
            "ratings": RATING_LABELS, "printable": printable}


async def _open_request(deps: IntakeDeps, dossier_id: Any) -> dict[str, Any] | None:
    async with deps.pool.acquire() as conn:
        request = await repository.open_supplement_request(conn, dossier_id)
        if request is None or await repository.supplement_answering(conn, request["event_id"]):
            return None
    detail: dict[str, Any] = request["detail"] or {}
    return detail


async def _proof(request: Request, deps: IntakeDeps) -> tuple[Any, str, HTMLResponse | None]:
    """The form, its dossier code, and a refusal page unless the code and secret match."""
    form = await request.form(max_files=60, max_fields=20)
    code = str(form.get("code") or "").strip().upper()
    secret = str(form.get("secret") or "").strip().upper()
    if not _valid_code(code) or not secret:
        return form, code, page("done.html", 403, heading="Không thể thực hiện",
                                errors=[WRONG_PROOF], code=code if _valid_code(code) else None)
    try:
        await deps.tracking_limiter.check(request, code)
    except HTTPException as limited:
        return form, code, page("done.html", limited.status_code, heading="Vui lòng thử lại sau",
                                errors=[str(limited.detail)], code=code)
    async with deps.pool.acquire() as conn:
        stored = await repository.citizen_secret(conn, code)
    if stored is None or not hmac.compare_digest(stored.encode(), secret.encode()):
        log.info("citizen proof refused")  # neither the code nor the secret is logged
        return form, code, page("done.html", 403, heading="Không thể thực hiện",
                                errors=[WRONG_PROOF], code=code)
    return form, code, None


async def _portal_of(deps: IntakeDeps, code: str) -> str:
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
    if row is None:
        raise DossierNotFound(code)
    portal: str = row["portal"]
    return portal


def _text(value: Any) -> str | None:
    text = str(value or "").strip()
    return _TEXT.validate_python(text) if text else None


@router.post("/supplement", response_class=HTMLResponse, max_body_size=SIGNED_BODY_CEILING)
async def supplement(request: Request, deps: Deps) -> HTMLResponse:
    """Documents come in here: the route's ceiling is the portal's, and the configured
    dossier size is checked against the declared length before anything is read."""
    try:
        check_declared(request, deps.limits.max_dossier_bytes + FORM_OVERHEAD)
    except HTTPException as refused_size:
        return page("done.html", refused_size.status_code, heading="Chưa gửi được hồ sơ bổ sung",
                    errors=["Các tệp gửi kèm quá lớn (tối đa "
                            f"{deps.limits.max_dossier_bytes // (1024 * 1024)} MB cho cả hồ "
                            "sơ)."])
    form, code, refused = await _proof(request, deps)
    if refused is not None:
        return refused
    uploads = [(key.removeprefix("document_"), value) for key, value in form.multi_items()
               if key.startswith("document_") and isinstance(value, UploadFile)
               and value.filename]
    errors, documents = [], []
    for kind, upload in uploads:
        content = await upload.read(deps.limits.max_document_bytes + 1)
        name = upload.filename or kind
        if len(content) > deps.limits.max_document_bytes:
            errors.append(f"Tệp {name} quá lớn (tối đa "
                          f"{deps.limits.max_document_bytes // (1024 * 1024)} MB).")
            continue
        media = next((t for t, (sig, _) in SIGNATURES.items() if content.startswith(sig)), None)
        if media is None:
            errors.append(f"Tệp {name} không phải PDF, PNG hoặc JPEG.")
            continue
        try:
            filename = safe_filename(name)
        except ValueError:
            filename = f"{kind}.{media.rsplit('/', 1)[-1]}"
        documents.append(DecodedDocument(kind, filename, media, Blob.of(content)))
    if not documents and not errors:
        errors.append("Vui lòng chọn tệp giấy tờ cần bổ sung.")
    try:
        note = _text(form.get("note"))
    except ValidationError:
        errors.append("Ghi chú có ký tự không hợp lệ hoặc dài quá 1000 ký tự.")
    if errors:
        return page("done.html", 422, heading="Chưa gửi được hồ sơ bổ sung", errors=errors,
                    code=code)
    command = ProvideSupplement(documents=[DocumentIn(kind=d.kind) for d in documents],
                                note=note)
    try:
        await provide_supplement(await _portal_of(deps, code), code, command, documents, deps)
    except SubmissionRefused as invalid:
        log.info("citizen supplement refused", reasons=len(invalid.reasons))  # may name files
        return page("done.html", 422, heading="Chưa gửi được hồ sơ bổ sung", code=code,
                    errors=["Giấy tờ bổ sung chưa đúng yêu cầu: vui lòng gửi đủ từng giấy "
                            "tờ được yêu cầu, đúng loại tệp và dung lượng."])
    except Conflict as conflict:
        return page("done.html", 409, heading="Chưa gửi được hồ sơ bổ sung", code=code,
                    errors=[_conflict_vi(conflict, "Hồ sơ không còn chờ bổ sung, hoặc đã "
                                         "được bổ sung bằng giấy tờ khác.")])
    return page("done.html", heading="Đã gửi hồ sơ bổ sung", code=code,
                message="Cơ quan đã nhận giấy tờ bổ sung; hồ sơ sẽ tiếp tục được giải quyết.")


@router.post("/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, deps: Deps) -> HTMLResponse:
    form, code, refused = await _proof(request, deps)
    if refused is not None:
        return refused
    try:
        reason = _text(form.get("reason"))
        await request_withdrawal(await _portal_of(deps, code), code,
                                 RequestWithdrawal(reason=reason), deps)
    except ValidationError:
        return page("done.html", 422, heading="Chưa gửi được đề nghị rút hồ sơ", code=code,
                    errors=["Lý do có ký tự không hợp lệ hoặc dài quá 1000 ký tự."])
    except Conflict as conflict:
        return page("done.html", 409, heading="Không thể rút hồ sơ", code=code,
                    errors=[_conflict_vi(conflict, "Hồ sơ không thể rút ở trạng thái này.")])
    return page("done.html", heading="Đã gửi đề nghị rút hồ sơ", code=code,
                message="Cơ quan sẽ xác nhận việc rút hồ sơ; trạng thái sẽ được cập nhật.")


@router.post("/rating", response_class=HTMLResponse)
async def rating(request: Request, deps: Deps) -> HTMLResponse:
    form, code, refused = await _proof(request, deps)
    if refused is not None:
        return refused
    value = str(form.get("rating") or "")
    if value not in RATING_LABELS:
        return page("done.html", 422, heading="Chưa gửi được đánh giá", code=code,
                    errors=["Vui lòng chọn một mức: Rất hài lòng, Hài lòng hoặc Không hài "
                            "lòng."])
    try:
        comment = _text(form.get("comment"))
        await rate_dossier(code, value, comment, deps, via="citizen_page")  # type: ignore[arg-type]
    except ValidationError:
        return page("done.html", 422, heading="Chưa gửi được đánh giá", code=code,
                    errors=["Ý kiến có ký tự không hợp lệ hoặc dài quá 1000 ký tự."])
    except AlreadyRated:
        return page("done.html", 409, heading="Hồ sơ đã được đánh giá", code=code,
                    errors=["Mỗi hồ sơ chỉ được đánh giá một lần."])
    except Conflict as conflict:
        return page("done.html", 409, heading="Chưa thể đánh giá", code=code,
                    errors=[_conflict_vi(conflict, "Chỉ đánh giá được sau khi đã trả kết "
                                         "quả.")])
    return page("done.html", heading="Cảm ơn ông/bà đã đánh giá", code=code,
                message=f"Đánh giá của ông/bà: {RATING_LABELS[value]}.")


@router.post("/forms")
async def print_form(request: Request, deps: Deps) -> Response:
    """The PDF of a form of the dossier (its receipt at least), downloaded."""
    form, code, refused = await _proof(request, deps)
    if refused is not None:
        return refused
    key = str(form.get("form") or "receipt")
    try:
        spec, pdf = await dossier_form(deps, code, key)
    except FormUnavailable:
        return page("done.html", 404, heading="Không có giấy tờ này", code=code,
                    errors=["Hồ sơ chưa có giấy tờ này để in."])
    return Response(pdf, media_type=PDF, headers={
        **_HEADERS, "Content-Disposition": attachment(attachment_name(spec, code))})


def _conflict_vi(conflict: Conflict, text: str) -> str:
    if conflict.status:
        return f"{text} Trạng thái hiện tại: {DossierStatus(conflict.status).label_vi}."
    return text
