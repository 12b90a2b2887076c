"""FastAPI dependencies shared by intake's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.intake.handlers import IntakeDeps
from shared.service import Runtime, get_runtime


async def get_deps(runtime: Annotated[Runtime, Depends(get_runtime)]) -> IntakeDeps:
    deps: IntakeDeps = runtime.state["deps"]
    return deps


Deps = Annotated[IntakeDeps, Depends(get_deps)]
