from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.reporting.deps import ReportingDeps
from shared.runtime.service import deps_of


async def get_deps(request: Request) -> ReportingDeps:
    deps: ReportingDeps = deps_of(request)
    return deps


Deps = Annotated[ReportingDeps, Depends(get_deps)]
