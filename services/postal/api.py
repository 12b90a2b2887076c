"""Postal's HTTP edge, thin: the carriers' tracking webhooks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from services.postal.deps import PostalDeps
from services.postal.handlers import tracking
from shared.runtime.service import deps_of


async def get_deps(request: Request) -> PostalDeps:
    deps: PostalDeps = deps_of(request)
    return deps


Deps = Annotated[PostalDeps, Depends(get_deps)]
router = APIRouter(prefix="/v1", tags=["postal"])


@router.post("/carriers/{carrier}/webhooks/{token}",
             responses={400: {"description": "Not an update of this carrier's protocol"},
                        404: {"description": "Unknown carrier or token"},
                        409: {"description": "The carrier's detail does not confirm it "
                                             "(the carrier retries)"},
                        503: {"description": "The carrier's detail did not answer"}})
async def carrier_webhook(carrier: str, token: str, request: Request, deps: Deps
                          ) -> dict[str, object]:
    """A carrier's status update (GHN: a JSON POST, unsigned; anything but 200 is retried
    ten times, 5 s apart). ``token`` is the carrier's secret path segment. 200 also for a
    duplicate or late update, which is kept and changes nothing."""
    tracking.check_token(carrier, token, deps)  # before the body is even parsed
    body: Any
    try:
        body = await request.json()
    except ValueError as error:
        raise tracking.BadWebhook("the body is not JSON") from error
    return await tracking.receive_webhook(carrier, token, body, dict(request.headers), deps)
