"""Officers sign in for a short-lived token and send it as ``Authorization: Bearer``."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from services.processing.officers import InvalidToken, Officer, OfficerDirectory, TokenService
from shared.runtime.service import deps_of

router = APIRouter(prefix="/v1/auth", tags=["officers"])
_bearer = HTTPBearer(auto_error=False, description="A token from POST /v1/auth/token")


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenGranted(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int
    username: str
    department_code: str
    role: str


_ARGON2_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason,
                         headers={"WWW-Authenticate": "Bearer"})


@router.post("/token", response_model=TokenGranted,
             responses={401: {"description": "Unknown username or wrong password"}})
async def issue_token(body: Credentials, request: Request) -> TokenGranted:
    deps = deps_of(request)
    directory: OfficerDirectory = deps.officers
    tokens: TokenService = deps.tokens
    # Argon2 is slow and memory-hard on purpose: keep it off the event loop, on one thread of
    # its own, so that a burst of sign-ins cannot multiply its memory (each thread that ran
    # it would keep a malloc arena holding its 19 MiB).
    officer = await asyncio.get_running_loop().run_in_executor(
        _ARGON2_THREAD, directory.authenticate, body.username, body.password)
    if officer is None:
        raise _unauthorized("invalid username or password")
    return TokenGranted(access_token=tokens.issue(officer), expires_in=tokens.ttl_s,
                        username=officer.username, department_code=officer.department_code,
                        role=officer.role.value)


async def current_officer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Officer:
    """The officer the bearer token names, still configured with the same department and
    role (a token outlives no account change); 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("sign in first: POST /v1/auth/token, then send "
                            "'Authorization: Bearer <token>'")
    deps = deps_of(request)
    tokens: TokenService = deps.tokens
    try:
        claims = tokens.verify(credentials.credentials)
    except InvalidToken as invalid:
        raise _unauthorized(str(invalid)) from invalid
    officer = deps.officers.get(claims["sub"])
    if officer is None or (officer.department_code, officer.role.value) != (
            claims.get("dept"), claims.get("role")):
        raise _unauthorized("this account no longer exists or changed; sign in again")
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
