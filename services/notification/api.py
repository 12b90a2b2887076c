"""Notification's HTTP edge, thin: template previews, the messages API for officers and
operators (bearer operator credential), and eSMS's delivery reports (unsigned, so behind a
secret path token)."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from services.notification import handlers, repository
from services.notification.deps import NotificationDeps
from services.notification.schemas import MessageOut, PreviewIn, PreviewOut, ReportAnswer
from services.notification.templating import TemplateError
from shared.contracts.types import DossierCode
from shared.runtime.service import deps_of


async def get_deps(request: Request) -> NotificationDeps:
    deps: NotificationDeps = deps_of(request)
    return deps


Deps = Annotated[NotificationDeps, Depends(get_deps)]
router = APIRouter(prefix="/v1", tags=["notification"])
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="notification"'}


async def operator(request: Request, deps: Deps) -> None:
    """The messages hold personal data: only a holder of the operator credential reads them."""
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if deps.operator_token is None:
        raise HTTPException(401, "the messages API is closed: no operator credential is "
                                 "configured (NOTIFICATION_OPERATOR_TOKEN)", headers=_CHALLENGE)
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(),
                                                                 deps.operator_token.encode()):
        raise HTTPException(401, "an operator bearer token is required", headers=_CHALLENGE)


Operator = Annotated[None, Depends(operator)]


@router.post("/templates/{template_id}/preview", response_model=PreviewOut,
             responses={404: {"description": "No such template or version"},
                        422: {"description": "A placeholder without a value"}})
async def preview(template_id: str, body: PreviewIn, deps: Deps) -> PreviewOut:
    """Render a template (latest version unless told) with the given values, in both
    channels, as the citizen would read it."""
    versions = deps.writing.templates.versions.get(template_id, {})
    if not versions or (body.version is not None and body.version not in versions):
        raise HTTPException(404, f"no template {template_id!r}"
                                 + ("" if body.version is None else f" version {body.version}"))
    try:
        version, rendered = handlers.preview(template_id, body.version, body.values,
                                             deps.writing)
    except TemplateError as error:
        raise HTTPException(422, error.problems) from None
    return PreviewOut(template_id=template_id, version=version, subject=rendered.subject,
                      email=rendered.email, sms={"text": rendered.sms.text,
                                                 "encoding": rendered.sms.encoding,
                                                 "segments": rendered.sms.segments})


@router.get("/messages", response_model=list[MessageOut],
            responses={401: {"description": "No operator credential"}})
async def messages(dossier_code: Annotated[DossierCode, Query()], deps: Deps,
                   _: Operator) -> list[MessageOut]:
    """A dossier's messages, email and SMS, each with its status and the time of each."""
    rows = await repository.messages_of(deps.transactions.pool, dossier_code)
    return [MessageOut.of(row) for row in rows]


@router.get("/messages/{message_id}", response_model=MessageOut,
            responses={401: {"description": "No operator credential"},
                       404: {"description": "No such message"}})
async def message(message_id: uuid.UUID, deps: Deps, _: Operator) -> MessageOut:
    row = await repository.message(deps.transactions.pool, message_id)
    if row is None:
        raise HTTPException(404, "no such message")
    return MessageOut.of(row)


@router.get("/sms/delivery-reports/{token}/{message_id}", response_model=ReportAnswer,
            responses={404: {"description": "Wrong token, or no such SMS"}})
async def sms_delivery_report(
    token: str, message_id: uuid.UUID, deps: Deps,
    sms_id: Annotated[str, Query(alias="SMSID", max_length=100)] = "",
    send_status: Annotated[str, Query(alias="SendStatus", max_length=10)] = "",
) -> ReportAnswer:
    """eSMS's delivery report (a GET, unsigned, retried up to 5 times until 200): the path
    token is the secret; a repeated report answers 200 and changes nothing."""
    if not secrets.compare_digest(token.encode(), deps.report_token.encode()):
        raise HTTPException(404, "not found")
    if not send_status:
        raise HTTPException(422, "SendStatus is required")
    try:
        moved = await handlers.on_delivery_report(message_id, sms_id, send_status, deps)
    except handlers.UnknownMessage:
        raise HTTPException(404, "no such SMS") from None
    return ReportAnswer(moved=moved)
