"""The console's routes: thin, as every route of the service. A page reads through the use
cases the API uses (handlers.reads, handlers.case_file), an action goes through the very
use case of ``POST /v1/dossiers/{code}/actions`` (handlers.officer_actions), and the forms
offered are the actions ``allowed_actions`` gives the officer's role now."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, get_args
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from services.processing.adapters.documents import DocumentUnavailable
from services.processing.api import DepsDep, auth
from services.processing.api.console import forms, labels, render, session
from services.processing.api.console.session import SignedIn, SignedInDep
from services.processing.deps import Deps
from services.processing.domain import result_file
from services.processing.domain.clock import SLA_STATES, sla_state
from services.processing.domain.errors import (
    ActionNotAllowed,
    CaseNotFound,
    ConcurrentChange,
    ConflictWithState,
    InvalidAction,
    NoResultDocument,
)
from services.processing.domain.rules import Action, Situation, allowed_actions
from services.processing.domain.trail import Actor
from services.processing.handlers import reads
from services.processing.handlers.case_file import read_case_file, read_document
from services.processing.handlers.officer_actions import act_on_dossier
from services.processing.officers import SignInThrottled
from services.processing.repository.queue import QueueQuery, Sort
from services.processing.schemas import QueueItem
from shared.contracts.status import DossierStatus

router = APIRouter(prefix=session.PATH, include_in_schema=False)
PAGE_SIZE = 20
# An approval's form carries the result document itself (multipart, not base64).
ACTION_FORM_BYTES = result_file.MAX_BYTES + 64 * 1024


def _department_name(deps: Deps, code: str) -> str:
    for version in reversed(deps.catalog.versions):
        if (department := version.department(code)) is not None:
            return department.name
    return code


def _context(request: Request, deps: Deps, signed: SignedIn | None, **more: Any
             ) -> dict[str, Any]:
    officer = signed.officer if signed else None
    return {"officer": officer, "csrf": signed.session.csrf if signed else "",
            "department_name": _department_name(deps, officer.department_code) if officer
            else "", "role_name": labels.ROLES[officer.role.value] if officer else "",
            "refresh_s": deps.console_refresh_s, "nav": more.pop("nav", ""),
            "calendar_notices": labels.calendar_banner(deps.calendar_watch.periods())
            if officer and deps.calendar_watch else [], **more}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- Signing in and out --------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request, deps: DepsDep, next: str = "") -> Response:
    current = session.read(request, deps)
    kept = current or session.fresh(deps)
    answer = render.page(request, "sign_in.html", {
        **_context(request, deps, None), "csrf": kept.csrf,
        "next": session.safe_next(next), "error": None, "username": ""})
    if current is None:  # a session already there (signed in or not) stays as it is
        session.write(answer, request, deps, kept)
    return answer


@router.post("/sign-in")
async def sign_in(request: Request, deps: DepsDep, username: str = Form(""),
                  password: str = Form(""), csrf_token: str = Form(""), next: str = Form("")
                  ) -> Response:
    current = session.read(request, deps)
    if not session.csrf_matches(current, csrf_token):
        return _csrf_refused(request, deps)
    account = None
    if username and password and len(username) <= 100 and len(password) <= 1000:
        try:
            account = await auth.sign_in(
                deps, username, password, await auth.client_address(request,
                                                                    deps.trusted_proxies))
        except SignInThrottled as throttled:
            assert current is not None
            answer = render.page(request, "sign_in.html", {
                **_context(request, deps, None), "csrf": current.csrf,
                "next": session.safe_next(next), "error": str(throttled),
                "username": username[:100]}, status=429)
            answer.headers["Retry-After"] = str(throttled.retry_after)
            return answer
    if account is None:
        assert current is not None
        return render.page(request, "sign_in.html", {
            **_context(request, deps, None), "csrf": current.csrf, "next": session.safe_next(next),
            "error": "Tên đăng nhập hoặc mật khẩu không đúng.", "username": username[:100]},
            status=401)
    answer = _see_other(session.safe_next(next))
    session.write(answer, request, deps, session.fresh(deps, account))
    return answer


@router.post("/sign-out")
async def sign_out(request: Request, deps: DepsDep, csrf_token: str = Form("")) -> Response:
    if not session.csrf_matches(session.read(request, deps), csrf_token):
        return _csrf_refused(request, deps)
    answer = _see_other(f"{session.PATH}/sign-in")
    session.clear(answer, request)
    return answer


def _csrf_refused(request: Request, deps: Deps) -> Response:
    return render.page(request, "problem.html", {
        **_context(request, deps, None), "title": "Phiên làm việc không hợp lệ",
        "message": "Biểu mẫu thiếu mã xác thực hoặc mã đã hết hạn. Vui lòng tải lại trang "
                   "rồi thực hiện lại."}, status=403)


# --- The queue -----------------------------------------------------------------------------


def _queue_query(request: Request, deps: Deps, signed: SignedIn) -> tuple[QueueQuery, dict]:
    """The queue's filters from the query string; a value the console never offers (typed
    into the address bar) is left out rather than refused."""
    params = request.query_params
    statuses = [s for s in params.getlist("status") if s in DossierStatus.__members__.values()]
    slas = [s for s in params.getlist("sla") if s in SLA_STATES]
    sort = params.get("sort", "due_date")
    sort = sort if sort in get_args(Sort) else "due_date"
    search = params.get("q", "").strip()[:100]
    page = int(p) if (p := params.get("page", "1")).isdigit() and 0 < int(p) <= 10_000 else 1
    today, near = deps.sla_dates(deps.now())
    query = QueueQuery(department_code=signed.officer.department_code, today=today, near=near,
                       sla_states=tuple(slas), search=search or None, sort=sort,  # type: ignore[arg-type]
                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    if statuses:
        query = replace(query, statuses=tuple(statuses))
    return query, {"status": statuses, "sla": slas, "q": search, "sort": sort, "page": page}


def _link(chosen: dict, **change: Any) -> str:
    merged = {**chosen, **change}
    pairs = [(k, v) for k, values in merged.items()
             for v in (values if isinstance(values, list) else [values]) if v not in ("", None)]
    return f"{session.PATH}?{urlencode(pairs)}" if pairs else session.PATH


async def _queue_context(request: Request, deps: Deps, signed: SignedIn) -> dict[str, Any]:
    query, chosen = _queue_query(request, deps, signed)
    rows, total, counts = await reads.read_queue(deps, query)
    pages = max(1, -(-total // PAGE_SIZE))
    fragment = f"{session.PATH}/queue?{request.url.query}"
    return {"items": [QueueItem.from_row(r) for r in rows], "total": total, "counts": counts,
            "chosen": chosen, "pages": pages, "link": lambda **c: _link(chosen, **c),
            "fragment_url": fragment, "statuses": list(DossierStatus), "sla_states": SLA_STATES}


@router.get("")
async def queue_page(request: Request, deps: DepsDep, signed: SignedInDep) -> Response:
    context = await _queue_context(request, deps, signed)
    return signed.keep(render.page(request, "queue.html", _context(
        request, deps, signed, nav="queue", **context)), request, deps)


@router.get("/queue")
async def queue_fragment(request: Request, deps: DepsDep, signed: SignedInDep) -> Response:
    """The queue's counts and table alone: what the page's htmx polling swaps in."""
    context = await _queue_context(request, deps, signed)
    return signed.keep(render.page(request, "_queue.html", _context(
        request, deps, signed, **context)), request, deps)


@router.get("/at-risk")
async def at_risk_page(request: Request, deps: DepsDep, signed: SignedInDep, done: str = ""
                       ) -> Response:
    """The department's dossiers near or past their committed date, overdue first, each
    with the apology letter (form 04) where the officer's role may sign it."""
    today, near = deps.sla_dates(deps.now())
    query = QueueQuery(department_code=signed.officer.department_code, today=today, near=near,
                       sla_states=("overdue", "at_risk"), limit=100)
    rows, total, counts = await reads.read_queue(deps, query)
    items = [QueueItem.from_row(r) for r in rows]
    may_apologise = {item.dossier_code for item in items if Action.ISSUE_APOLOGY.value in
                     _allowed_for(item, signed)}
    return signed.keep(render.page(request, "at_risk.html", _context(
        request, deps, signed, nav="at_risk", items=items, total=total, counts=counts,
        may_apologise=may_apologise, filled=None, done=labels.DONE.get(done))),
        request, deps)


def _allowed_for(item: QueueItem, signed: SignedIn) -> list[str]:
    # A queue row carries its status and proposal; whether the procedure has a separate
    # approver does not change whether an apology is allowed (rules.RULES).
    return allowed_actions(Situation(DossierStatus(item.status), item.awaiting_approval),
                           signed.officer.role)


# --- A dossier -----------------------------------------------------------------------------


async def _dossier(request: Request, deps: Deps, signed: SignedIn, code: str, *,
                   filled: forms.Filled | None = None, conflict: str | None = None,
                   done: str | None = None, verify: bool = False,
                   status: int = 200) -> Response:
    try:
        view = await read_case_file(deps, code, signed.officer)
        verified = await reads.verify_audit_trail(deps, code, signed.officer) if verify \
            else None
    except CaseNotFound:
        return _not_found(request, deps, signed, code)
    case = view.case
    today, near = deps.sla_dates(deps.now())
    departments = sorted((d.code, d.name) for d in
                         deps.catalog.version(case.catalog_version).agency.departments
                         if d.code != case.department_code)
    procedure = deps.catalog.version(case.catalog_version).procedure(case.procedure_code)
    document_names = {d.kind: d.name for d in procedure.required_documents} if procedure else {}
    latest: dict[tuple[str, str], Any] = {}
    for row in view.activity:
        latest[row["kind"], row["subject"]] = row
    return signed.keep(render.page(request, "dossier.html", _context(
        request, deps, signed, case=case, view=view,
        sla=sla_state(case.status, case.due_date, today, near),
        allowed=allowed_actions(case.situation, signed.officer.role),
        departments=departments, latest=latest, filled=filled, conflict=conflict,
        document_names=document_names, verified=verified,
        done=labels.DONE.get(done or ""), code_url=quote(case.code)),
        status=status), request, deps)


def _not_found(request: Request, deps: Deps, signed: SignedIn, code: str) -> Response:
    return render.page(request, "problem.html", _context(
        request, deps, signed, title="Không tìm thấy hồ sơ",
        message=f"Phòng không có hồ sơ mã {code[:40]}."), status=404)


@router.get("/dossiers/{code}")
async def dossier_page(code: str, request: Request, deps: DepsDep, signed: SignedInDep,
                       done: str = "") -> Response:
    return await _dossier(request, deps, signed, code, done=done)


@router.get("/dossiers/{code}/verify")
async def verify_page(code: str, request: Request, deps: DepsDep, signed: SignedInDep
                      ) -> Response:
    """The dossier's page with its audit trail verified (the API's verify, shown)."""
    return await _dossier(request, deps, signed, code, verify=True)


def _conflict_message(conflict: Exception) -> str:
    if isinstance(conflict, ActionNotAllowed):
        return ("Thao tác này không còn thực hiện được: hồ sơ đã chuyển sang trạng thái "
                f"“{conflict.status.label_vi}”. Trang đã được tải lại với trạng thái mới nhất.")
    return ("Hồ sơ vừa được người khác xử lý trước bạn. Trang đã được tải lại với trạng thái "
            "mới nhất; vui lòng kiểm tra rồi thao tác lại nếu cần.")


@router.post("/dossiers/{code}/actions/{action}", max_body_size=ACTION_FORM_BYTES)
async def act(code: str, action: str, request: Request, deps: DepsDep, signed: SignedInDep
              ) -> Response:
    form = await request.form(max_files=1, max_fields=20)
    back = form.get("back") if form.get("back") == "at-risk" else None
    if not session.csrf_matches(signed.session, form.get(session.CSRF_FIELD)):
        return _csrf_refused(request, deps)
    if action not in Action.__members__.values():
        return _not_found(request, deps, signed, code)
    version_text = str(form.get("version") or "")
    version = int(version_text) if version_text.isdigit() else None
    actor = Actor(signed.officer.username, signed.officer.role)
    try:
        # Somebody who acted first is told before any complaint on the form's content.
        case = await reads.read_case(deps, code, signed.officer)
        case.check_version(version, actor)
        case.check(Action(action), actor)
        filled = await forms.read(action, form, version)
        if filled.command is None:
            return await _answer_refused(request, deps, signed, code, filled, back)
        await act_on_dossier(deps, code, filled.command, signed.officer)
    except CaseNotFound:
        return _not_found(request, deps, signed, code)
    except (ConflictWithState, ConcurrentChange) as conflict:
        return await _dossier(request, deps, signed, code, conflict=_conflict_message(conflict),
                              status=409)
    except InvalidAction as invalid:
        forms.explain(invalid, filled)
        return await _answer_refused(request, deps, signed, code, filled, back)
    target = (f"{session.PATH}/at-risk?done={action}" if back else
              f"{session.PATH}/dossiers/{quote(code)}?done={action}")
    return signed.keep(_see_other(target), request, deps)


async def _answer_refused(request: Request, deps: Deps, signed: SignedIn, code: str,
                          filled: forms.Filled, back: str | None) -> Response:
    return await _dossier(request, deps, signed, code, filled=filled, status=422)


# --- Documents -----------------------------------------------------------------------------


# What a browser shows itself (its PDF viewer, an image); anything else only downloads.
_VIEWABLE = frozenset({"application/pdf", "image/jpeg", "image/png"})


def _document_answer(content: bytes, content_type: str, filename: str, download: bool
                     ) -> Response:
    inline = not download and content_type in _VIEWABLE
    # Viewed in the console's origin, a document may run nothing and reach nothing; one that
    # only downloads is sandboxed too (the PDF viewer refuses a sandboxed page, so a PDF
    # viewed is not).
    policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'" + (
        "" if inline else "; sandbox")
    return Response(content, media_type=content_type, headers={
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; "
                               f"filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Security-Policy": policy})


@router.get("/dossiers/{code}/documents/{sha256}")
async def document(code: str, sha256: str, request: Request, deps: DepsDep,
                   signed: SignedInDep, download: bool = False) -> Response:
    try:
        reference, content = await read_document(deps, code, sha256.lower(), signed.officer)
    except CaseNotFound:
        return _not_found(request, deps, signed, code)
    except DocumentUnavailable:
        return render.page(request, "problem.html", _context(
            request, deps, signed, title="Không mở được tài liệu",
            message="Tài liệu không có trong kho lưu trữ, hoặc kho chưa được cấu hình."),
            status=404)
    return _document_answer(content, reference["content_type"], reference["filename"],
                            download)


@router.get("/dossiers/{code}/result-document")
async def result_document(code: str, request: Request, deps: DepsDep, signed: SignedInDep,
                          download: bool = False) -> Response:
    try:
        stored = await reads.read_result_document(deps, code, signed.officer)
    except (CaseNotFound, NoResultDocument):
        return _not_found(request, deps, signed, code)
    return _document_answer(stored["content"], stored["content_type"], stored["filename"],
                            download)


# --- Static files --------------------------------------------------------------------------

_STATIC_TYPES = {"htmx.min.js": "text/javascript; charset=utf-8",
                 "console.css": "text/css; charset=utf-8"}
_STATIC = {name: (render.STATIC / name).read_bytes() for name in _STATIC_TYPES}


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name not in _STATIC:
        return Response(status_code=404)
    return Response(_STATIC[name], media_type=_STATIC_TYPES[name],
                    headers={"Cache-Control": "public, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})
