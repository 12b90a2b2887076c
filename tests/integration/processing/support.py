"""Helpers and data for processing's integration tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import base64
import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx

from services.processing.deps import Deps
from services.processing.domain.rules import Role
from services.processing.handlers.events import on_dossier_submitted
from services.processing.officers import OfficerAccount, OfficerDirectory
from services.processing.tokens import TokenService
from shared.contracts.events import Applicant, DossierSubmitted, Envelope
from shared.reference.catalog import load_catalog
from shared.reference.workdays import BUSINESS_TZ, WorkingCalendar

CATALOG = load_catalog("vinh-thanh-2024")
CALENDAR = WorkingCalendar.default()
MONDAY = datetime(2025, 3, 3, 9, tzinfo=BUSINESS_TZ)
# Codes unique in the test run, as intake's counter makes them, and apart from the codes
# other tests' intake puts on the same broker.
_AGENCY, _NUMBERS = f"T{uuid.uuid4().hex[:4].upper()}", itertools.count(1)
SECRET = "integration-test-secret-of-32-bytes!"  # noqa: S105 - throw-away test key
OFFICERS = OfficerDirectory.development({c for v in CATALOG.versions for c in v.department_codes})


@dataclass
class Clock:
    """The time processing sees; tests move it instead of waiting."""

    now: datetime = MONDAY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def account(department: str, role: Role | str) -> OfficerAccount:
    """The development account, or one like it where the department has none."""
    name, any_hash = f"{department}.{Role(role).value}", OFFICERS.account("tp.approver")
    assert any_hash is not None
    return OFFICERS.account(name) or OfficerAccount(
        username=name, department_code=department, role=Role(role),
        password_hash=any_hash.password_hash)


def bearer(department: str, role: Role | str) -> dict[str, str]:
    """The headers of a token as the sign-in route issues it (without its slow hash)."""
    token = TokenService(SECRET, 900).issue(account(department, role))
    return {"Authorization": f"Bearer {token}"}


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
    async with deps.transactions(envelope) as uow:  # the cause, as the consumer sets it
        await on_dossier_submitted(deps, event, envelope, uow)
        await uow.commit()
    return event.dossier_code


async def act(http: httpx.AsyncClient, code: str, department: str, role: str, body: dict
              ) -> httpx.Response:
    return await http.post(f"/v1/dossiers/{code}/actions", json=body,
                           headers=bearer(department, role))


OWN, OTHER = "ktht", "tp"
REGISTERED_ONLY = "VTH-LOCAL-01"  # ktht, received by the intake officer, fee 75 000
FREE_AUTO = "1.009995"  # ktht, received at once, no fee
PDF = base64.b64encode(b"%PDF-1.4 ket qua").decode()
BODIES = {
    "accept": {}, "start": {}, "refuse_at_intake": {"reason": "Không thuộc thẩm quyền"},
    "request_supplement": {"missing": ["Bản vẽ hiện trạng"], "reason": "Thiếu bản vẽ"},
    "propose": {"proposed_outcome": "approved"},
    "approve": {"result_document": {"filename": "giay-phep.pdf",
                                    "content_type": "application/pdf", "content_base64": PDF}},
    "refuse": {"reason": "Không đủ điều kiện"}, "stop": {"reason": "Quá hạn bổ sung"},
    "transfer": {"to_department": "vhtt", "reason": "Sai lĩnh vực"},
    "issue_apology": {"reason": "Cần xác minh thêm", "new_due_date": "2025-03-31"},
}
# Where each action can be tried: the situation (dossier_in's states) a dossier is put in.
SETUP = {
    "accept": "registered", "refuse_at_intake": "registered", "start": "accepted",
    "stop": "accepted", "issue_apology": "accepted", "transfer": "accepted",
    "request_supplement": "in_progress", "propose": "in_progress",
    "approve": "awaiting_approval", "refuse": "awaiting_approval",
}


async def dossier_in(http: httpx.AsyncClient, deps, state: str) -> str:
    if state == "registered":
        return await submit(deps, REGISTERED_ONLY)
    code = await submit(deps, FREE_AUTO)
    if state in ("in_progress", "awaiting_approval"):
        assert (await act(http, code, OWN, "specialist", {"action": "start"})).status_code == 200
    if state == "awaiting_approval":
        proposed = await act(http, code, OWN, "specialist", {"action": "propose",
                                                              "proposed_outcome": "approved"})
        assert proposed.status_code == 200
    return code
