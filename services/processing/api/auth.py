"""Officers sign in for a short-lived token and send it as ``Authorization: Bearer``.

A sign-in is admitted first (``officers.admit_sign_in``: per account and per client address,
shared by every replica): past a limit the answer is 429 with ``Retry-After``, before the
password is checked."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from services.processing.api import AnswerableErrors
from services.processing.deps import Deps
from services.processing.officers import (
    Officer,
    OfficerAccount,
    SignInThrottled,
    admit_sign_in,
    signed_in,
)
from services.processing.schemas import Credentials, TokenGranted
from shared.runtime.officer_tokens import InvalidToken
from shared.runtime.service import deps_of

# A sign-in is a username and a password (1100 characters, at most 6 bytes each in JSON):
# anything larger is refused as it arrives, before it is held in memory or authenticated.
SIGN_IN_BYTES = 16 * 1024
router = APIRouter(prefix="/v1/auth", tags=["officers"], route_class=AnswerableErrors,
                   max_body_size=SIGN_IN_BYTES)
_bearer = HTTPBearer(auto_error=False, description="A token from POST /v1/auth/token")
_ARGON2_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argon2")


def _unauthorized(reason: str) -> HTTPException:
    # Answered here rather than in the app's table of errors: a 401 carries the challenge.
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason,
                         headers={"WWW-Authenticate": "Bearer"})


async def _nothing(*_: Any) -> None:
    return None


async def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The peer, or the rightmost ``X-Forwarded-For`` hop that is not a trusted proxy (as
    uvicorn's ProxyHeadersMiddleware resolves it)."""
    if not trusted_proxies:
        return request.client.host if request.client else "unknown"
    scope = dict(request.scope)  # the middleware rewrites the client of its copy
    await ProxyHeadersMiddleware(_nothing, list(trusted_proxies))(  # type: ignore[arg-type]
        scope, _nothing, _nothing)
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many(throttled: SignInThrottled) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(throttled),
                         headers={"Retry-After": str(throttled.retry_after)})


@router.post("/token", response_model=TokenGranted, responses={
    401: {"description": "Unknown username or wrong password"},
    429: {"description": "Too many attempts for this account or from this address; "
                         "Retry-After says in how many seconds to try again"}})
async def issue_token(body: Credentials, request: Request) -> TokenGranted:
    deps: Deps = deps_of(request)
    client = await client_address(request, deps.trusted_proxies)
    try:
        account = await sign_in(deps, body.username, body.password, client)
    except SignInThrottled as throttled:
        raise too_many(throttled) from None
    if account is None:
        raise _unauthorized("invalid username or password")
    return TokenGranted(access_token=deps.tokens.issue(account), expires_in=deps.tokens.ttl_s,
                        username=account.username, department_code=account.department_code,
                        role=account.role.value)


async def current_officer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Officer:
    """The officer the bearer token names, whose account still has the department, role and
    password the token was issued under (a token outlives no account change); 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("sign in first: POST /v1/auth/token, then send "
                            "'Authorization: Bearer <token>'")
    deps: Deps = deps_of(request)  # read here, not as a dependency: each one costs a resolution
    try:
        return officer_of(deps, credentials.credentials)
    except InvalidToken as invalid:
        raise _unauthorized(str(invalid)) from invalid


def officer_of(deps: Deps, token: str) -> Officer:
    """The officer a token names, whose account still has the department, role and password
    it was issued under (the API's bearer token, the console's session); InvalidToken else."""
    claims = deps.tokens.verify(token)
    account = deps.officers.account(claims["sub"])
    if account is None or not deps.tokens.issued_for(claims, account):
        raise InvalidToken("this account no longer exists, or its department, role or "
                           "password changed; sign in again")
    return account.officer


async def sign_in(deps: Deps, username: str, password: str,
                  client: str) -> OfficerAccount | None:
    """The account, if the password is right, for the API and the console alike. Admitted
    first (``SignInThrottled`` past the limits, before any password is checked); a success
    clears the account's failures. Argon2 is slow and memory-hard on purpose: kept off the
    event loop, on one thread of its own, so that a burst of sign-ins cannot multiply its
    memory (each thread that ran it would keep a malloc arena holding its 19 MiB)."""
    await admit_sign_in(deps.pool, deps.sign_in_limits, deps.now(), username, client)
    account = await asyncio.get_running_loop().run_in_executor(
        _ARGON2_THREAD, deps.officers.authenticate, username, password)
    if account is not None:
        await signed_in(deps.pool, username, client)
    return account


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {
    "description": "No or invalid token (`WWW-Authenticate: Bearer`): sign in again"}}
"""The answer every route of ``CurrentOfficer`` may give, for its ``responses``."""
