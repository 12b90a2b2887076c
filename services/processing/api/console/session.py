"""The console's session: a signed cookie holding the officer's token and a CSRF secret.

The cookie is signed with itsdangerous (the key derived from the token secret, so every
replica reads it) and sent HttpOnly, SameSite=Lax, only under /console, and Secure when the
request came over TLS (directly or, behind a proxy, as X-Forwarded-Proto says). Inside it:
the same short-lived officer token the API issues (services.processing.tokens), so a changed
password or role ends the session as it ends a token; and a random CSRF secret. Every form
carries that secret in a hidden field and every POST compares the two: the synchronizer
token pattern, kept in the client's signed cookie instead of a server-side store. A page
elsewhere can make the browser send the cookie but can neither read it nor the form, so it
cannot know the secret; the cookie's signature keeps anyone from planting a secret of their
choosing. A visitor gets a cookie without a token at the sign-in page, so the sign-in form
is protected too, and signing in replaces the secret (no fixation).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request, Response, status
from itsdangerous import BadSignature, URLSafeTimedSerializer

from services.processing.api import DepsDep
from services.processing.api.auth import officer_of
from services.processing.deps import Deps
from services.processing.officers import Officer, OfficerAccount
from shared.runtime.officer_tokens import InvalidToken

COOKIE, PATH = "mot_cua_console", "/console"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE_S = 12 * 3600  # a signed-out cookie (CSRF only) is not kept past a workday


@dataclass(frozen=True)
class Session:
    csrf: str
    token: str | None = None


def _signer(deps: Deps) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(deps.session_key, salt="mot-cua-console-session")


def read(request: Request, deps: Deps) -> Session | None:
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data = _signer(deps).loads(value, max_age=SESSION_MAX_AGE_S)
    except BadSignature:  # forged, tampered or expired: as if there were none
        return None
    if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
        return None
    token = data.get("token")
    return Session(csrf=data["csrf"], token=token if isinstance(token, str) else None)


def behind_tls(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def write(response: Response, request: Request, deps: Deps, session: Session) -> None:
    response.set_cookie(
        COOKIE, _signer(deps).dumps({"csrf": session.csrf, "token": session.token}),
        path=PATH, httponly=True, samesite="lax", secure=behind_tls(request))


def clear(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax",
                           secure=behind_tls(request))


def fresh(deps: Deps, account: OfficerAccount | None = None) -> Session:
    """A new session: a new CSRF secret, and the officer's token when signing in."""
    token = deps.tokens.issue(account) if account is not None and deps.tokens else None
    return Session(csrf=secrets.token_urlsafe(32), token=token)


def csrf_matches(session: Session | None, sent: Any) -> bool:
    return (session is not None and isinstance(sent, str)
            and hmac.compare_digest(session.csrf.encode(), sent.encode()))


@dataclass(frozen=True)
class SignedIn:
    officer: Officer
    session: Session
    renewed: Session | None = None  # set on the answer: the token was past half its life

    def keep(self, response: Response, request: Request, deps: Deps) -> Response:
        if self.renewed is not None:
            write(response, request, deps, self.renewed)
        return response


def _to_sign_in(request: Request) -> HTTPException:
    """A page asked for without a session: 303 to the sign-in page, back here afterwards
    (for an htmx request, HX-Redirect makes the whole page go there)."""
    if request.headers.get("hx-request"):  # polling: XHR would follow a 303 into the swap
        referer = request.headers.get("referer", "")
        location = f"{PATH}/sign-in?next={_quote(_path_of(referer))}"
        return HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first",
                             headers={"HX-Redirect": location})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{PATH}/sign-in?next={_quote(target)}"
    return HTTPException(status.HTTP_303_SEE_OTHER, "sign in first",
                         headers={"Location": location})


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _quote(path: str) -> str:
    return quote(path, safe="/")


async def signed_in(request: Request, deps: DepsDep) -> SignedIn:
    session = read(request, deps)
    if session is None or session.token is None or deps.tokens is None:
        raise _to_sign_in(request)
    try:
        officer = officer_of(deps, session.token)
        claims = deps.tokens.verify(session.token)
    except InvalidToken:
        raise _to_sign_in(request) from None
    renewed = None
    if claims["exp"] - time.time() < deps.tokens.ttl_s / 2:  # an officer at work stays in
        account = deps.officers.account(officer.username)
        if account is not None:
            renewed = Session(csrf=session.csrf, token=deps.tokens.issue(account))
    return SignedIn(officer, session, renewed)


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    if (target and target.startswith(PATH + "/")) or target == PATH:
        if not target.startswith("//") and "\\" not in target:
            return target
    return PATH
