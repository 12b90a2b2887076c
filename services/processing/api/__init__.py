"""Processing's HTTP edge, thin: parse, call a use case, answer. Domain errors are answered
once for the whole app (``ERRORS`` in bootstrap). ``auth`` signs officers in, ``queue`` lists
their department's work, ``dossiers`` reads and acts on one dossier."""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from services.processing.deps import Deps
from shared.runtime.service import deps_of

_LONGEST_TEXT = 200  # of a validation error's message or location, as answered


async def get_deps(request: Request) -> Deps:
    deps: Deps = deps_of(request)
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]


class AnswerableErrors(APIRoute):
    """A route whose 422 can always be written as JSON. FastAPI's answer echoes each
    offending input, and a lone surrogate, an infinite number (1e400) or megabytes of it made
    that answer fail as a 500; the inputs are left out and every text made printable and
    short, so the answer says where and why, and never repeats what was sent."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answerable(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as invalid:
                raise RequestValidationError([_answerable(e) for e in invalid.errors()]
                                             ) from None
        return answerable


def _answerable(error: dict[str, Any]) -> dict[str, Any]:
    answer = {"type": _plain(error.get("type")), "loc": [_plain(p) for p in error["loc"]],
              "msg": _plain(error.get("msg"))}
    if isinstance(ctx := error.get("ctx"), dict):
        answer["ctx"] = {str(key): _plain(value) for key, value in ctx.items()}
    return answer


def _plain(value: Any) -> Any:
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= _LONGEST_TEXT else f"{text[:_LONGEST_TEXT]}…"
