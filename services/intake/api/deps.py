"""FastAPI dependencies and parameter types shared by intake's routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from services.intake.deps import IntakeDeps
from services.intake.schemas import Code
from shared.contracts.types import DossierCode
from shared.runtime.service import deps_of


async def get_deps(request: Request) -> IntakeDeps:
    deps: IntakeDeps = deps_of(request)
    return deps


Deps = Annotated[IntakeDeps, Depends(get_deps)]
CodeInPath = Annotated[DossierCode, Path(description="The dossier code, e.g. VTH-250123-0001")]
ProcedureInPath = Annotated[Code, Path(description="The procedure's code, e.g. 2.002189")]
Sha256InPath = Annotated[str, Path(pattern=r"^[0-9a-fA-F]{64}$", description="hex SHA-256")]
