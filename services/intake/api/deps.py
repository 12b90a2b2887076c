"""FastAPI dependencies shared by intake's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.intake.deps import IntakeDeps
from shared.runtime.service import deps_of


async def get_deps(request: Request) -> IntakeDeps:
    deps: IntakeDeps = deps_of(request)
    return deps


Deps = Annotated[IntakeDeps, Depends(get_deps)]
