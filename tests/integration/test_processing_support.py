"""Fixtures and helpers for processing's integration tests (no tests of its own).

Processing's HTTP edge and use cases run in-process on a real, freshly migrated PostgreSQL
database; the broker is not needed there, since use cases only write the outbox.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI

from services.processing.api import router as dossiers_router
from services.processing.auth_api import router as auth_router
from services.processing.bootstrap import SPEC
from services.processing.deps import Deps
from services.processing.handlers import on_dossier_submitted
from services.processing.officers import Officer, OfficerDirectory, TokenService
from services.processing.queue_api import router as queue_router
from services.processing.workflow import Role
from shared.catalog import load_catalog
from shared.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from shared.events import Applicant, DossierSubmitted, Envelope
from shared.outbox import UnitOfWork
from shared.service import Runtime
from shared.workdays import BUSINESS_TZ, WorkingCalendar

CATALOG = load_catalog("vinh-thanh-2024")
CALENDAR = WorkingCalendar.default()
MONDAY = datetime(2025, 3, 3, 9, tzinfo=BUSINESS_TZ)
# Codes unique in the test run, as intake's counter makes them, and apart from the codes
# other tests' intake puts on the same broker.
_AGENCY, _NUMBERS = f"T{uuid.uuid4().hex[:4].upper()}", itertools.count(1)
SECRET = "integration-test-secret-of-32-bytes!"  # noqa: S105 - throw-away test key


@dataclass
class Clock:
    """The time processing sees; tests move it instead of waiting."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    pool = await create_pool(database_url, max_size=20)
    yield pool
    await pool.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(pool, clock: Clock) -> Deps:
    return Deps(pool=pool, calendar=CALENDAR, catalog=CATALOG, at_risk_working_days=1,
                now=clock)


@pytest.fixture(scope="session")
def officers() -> OfficerDirectory:
    departments = {c for v in CATALOG.versions for c in v.department_codes}
    return OfficerDirectory.development(departments)


@pytest.fixture
async def http(deps: Deps, officers: OfficerDirectory) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    for router in (auth_router, queue_router, dossiers_router):
        app.include_router(router)
    app.state.runtime = Runtime(settings=None, pool=deps.pool, broker=None,  # type: ignore[arg-type]
                                state={"deps": deps, "officers": officers,
                                       "tokens": TokenService(SECRET, 900)})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://processing") as client:
        yield client


def bearer(department: str, role: Role | str) -> dict[str, str]:
    officer = Officer(username=f"{department}.{Role(role).value}", department_code=department,
                      role=Role(role))
    return {"Authorization": f"Bearer {TokenService(SECRET, 900).issue(officer)}"}


def submission(procedure_code: str, received_at: datetime, *, name: str = "Nguyễn Văn An",
               return_method: str = "online") -> tuple[DossierSubmitted, Envelope]:
    version = CATALOG.active(received_at)
    procedure = version.procedure(procedure_code)
    assert procedure is not None
    event = DossierSubmitted(
        dossier_code=f"{_AGENCY}-{received_at:%y%m%d}-{next(_NUMBERS):04d}",
        portal="test", portal_submission_id=str(uuid.uuid4()), agency_code="VTH",
        procedure_code=procedure.code, procedure_name=procedure.name,
        department_code=procedure.department_code, catalog_version=version.id,
        applicant=Applicant(full_name=name, id_number="079203001234", phone="0912345678",
                            email="an@example.vn"),
        return_method=return_method,  # type: ignore[arg-type]
        postal_address="1 Đường A" if return_method == "postal" else None,
        fee=Decimal(procedure.fee), committed_days=procedure.committed_days,
        received_at=received_at,
        due_date=CALENDAR.due_date(received_at, procedure.committed_days, procedure.cutoff),
    )
    return event, Envelope.wrap(event, dossier_id=uuid.uuid4(), producer="intake",
                                dossier_code=event.dossier_code)


async def submit(deps: Deps, procedure_code: str, **kwargs) -> str:
    """A dossier reaches processing as the consumer would deliver it; returns its code."""
    event, envelope = submission(procedure_code, deps.now(), **kwargs)
    async with UnitOfWork(deps.pool) as uow:
        await on_dossier_submitted(deps, event, envelope, uow)
        await uow.commit()
    return event.dossier_code


async def act(http: httpx.AsyncClient, code: str, department: str, role: str, body: dict
              ) -> httpx.Response:
    return await http.post(f"/v1/dossiers/{code}/actions", json=body,
                           headers=bearer(department, role))
