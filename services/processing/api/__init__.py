"""Processing's HTTP edge, thin: parse, call a use case, answer. Domain errors are answered
once for the whole app (``ERRORS`` in bootstrap). ``auth`` signs officers in, ``queue`` lists
their department's work, ``dossiers`` reads and acts on one dossier."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.processing.deps import Deps
from shared.runtime.service import deps_of


async def get_deps(request: Request) -> Deps:
    deps: Deps = deps_of(request)
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]
