"""The officers' ``verify`` of a dossier's timeline: intake's audit chain recomputed (the
shared verification, as ``python -m services.intake.audit`` runs it), for an officer of the
dossier's department with the token processing issued at sign-in.

Intake holds the timeline, so intake answers for it; processing answers for its own case
audit (``GET /v1/dossiers/{code}/audit/verify`` there). Intake checks the token's signature,
issuer and expiry with the shared token code and processing's key; it does not hold the
officers' directory, so a token stays good here until it expires (at most
``PROCESSING_TOKEN_TTL_S``) even after its account changed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.intake import repository
from services.intake.api.body import small_body
from services.intake.api.deps import CodeInPath, Deps
from shared.runtime.audit_chain import TIMELINE, ChainVerification, verify_chain
from shared.runtime.officer_tokens import InvalidToken
from shared.runtime.service import deps_of

router = APIRouter(prefix="/v1/officers", tags=["officers"],
                   dependencies=[Depends(small_body)])
_bearer = HTTPBearer(auto_error=False, description="An officer's token from processing's "
                                                   "POST /v1/auth/token")


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason,
                         headers={"WWW-Authenticate": "Bearer"})


async def officer_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, Any]:
    """The verified claims of the officer's bearer token; 401 without a good one, 503 when
    intake was not given processing's token key."""
    tokens = deps_of(request).officer_tokens
    if tokens is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "officers' tokens cannot be checked here: "
                            "INTAKE_OFFICER_TOKEN_SECRET is not set")
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("sign in at processing first (POST /v1/auth/token), then send "
                            "'Authorization: Bearer <token>'")
    try:
        return tokens.verify(credentials.credentials)
    except InvalidToken as invalid:
        raise _unauthorized(str(invalid)) from invalid


@router.get("/dossiers/{code}/timeline/verify", response_model=ChainVerification,
            responses={401: {"description": "No, a forged or an expired officer's token"},
                       404: {"description": "No dossier of the officer's department has this "
                                            "code (another department's is answered the same)"},
                       503: {"description": "Intake was not given the officers' token key"}})
async def verify_timeline(code: CodeInPath, deps: Deps,
                          claims: Annotated[dict[str, Any], Depends(officer_claims)]
                          ) -> ChainVerification:
    """``verify``: the dossier's timeline recomputed as a hash chain. `ok` when every entry is
    where and as it was written; otherwise `first_bad` names the first entry edited, removed
    (the next one is out of place) or reordered past the database's triggers. `head` is the
    head now, to compare with the one printed on the receipt or shown on the tracking page."""
    async with deps.pool.acquire() as conn:
        row = await repository.get_dossier(conn, code)
        if row is None or row["department_code"] != claims.get("dept"):
            raise HTTPException(404, f"Không tìm thấy hồ sơ có mã {code}.")
        report = await verify_chain(conn, TIMELINE, row["id"], row["code"])
    return ChainVerification.of(TIMELINE, report)
