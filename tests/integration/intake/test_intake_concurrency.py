"""Dossier codes under concurrent intake: never a duplicate, never a gap (issue 3, item 5)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime

import pytest

from services.intake.bootstrap import SPEC, build_deps
from services.intake.handlers.submission import submit_dossier
from services.intake.parsing import parse_json
from services.intake.schemas import SubmitDossier
from services.intake.settings import IntakeSettings
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files

pytestmark = pytest.mark.integration
PDF = base64.b64encode(b"%PDF-1.4\n").decode()
RECEIVED = datetime(2025, 3, 12, 2, 30, tzinfo=UTC)  # Wednesday 12/3/2025, 09:30 in Vietnam


def _submission(n: int) -> bytes:
    return json.dumps({
        "portal_submission_id": f"concurrent-{n}", "procedure_code": "2.002189",
        "applicant": {"full_name": "Lê Văn Bình", "id_number": f"0923010{n:05d}",
                      "phone": "0912345678", "email": "binh@example.vn"},
        "return_method": "online",
        "documents": [{"kind": k, "filename": f"{k}.pdf", "content_type": "application/pdf",
                       "content_base64": PDF}
                      for k in ("to_khai", "giay_to_ket_hon", "giay_to_tuy_than")],
    }).encode()


async def test_fifty_simultaneous_intakes_on_two_replicas_get_fifty_distinct_codes(
    database_url: str, tmp_path,
) -> None:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    settings = IntakeSettings(portal_secrets="p:0123456789abcdef", document_dir=tmp_path)
    # Two pools stand for two intake replicas: they share nothing but the database.
    pools = [await create_pool(database_url, min_size=5, max_size=10) for _ in range(2)]
    try:
        replicas = [build_deps(settings, pool, None) for pool in pools]
        commands = [parse_json(SubmitDossier, _submission(n)) for n in range(50)]
        results = await asyncio.gather(*(
            submit_dossier("p", command, documents, replicas[n % 2], now=RECEIVED)
            for n, (command, documents) in enumerate(commands)
        ))
        codes = [receipt.dossier_code for receipt, created in results if created]
        assert len(codes) == 50
        assert sorted(codes) == [f"VTH-250312-{n:04d}" for n in range(1, 51)]
        stored = await pools[0].fetchval("SELECT count(DISTINCT code) FROM dossier")
        events = await pools[0].fetchval("SELECT count(*) FROM outbox_message")
        assert (stored, events) == (50, 50)
    finally:
        for pool in pools:
            await pool.close()


async def test_simultaneous_replays_of_one_submission_make_one_dossier(
    database_url: str, tmp_path,
) -> None:
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    settings = IntakeSettings(portal_secrets="p:0123456789abcdef", document_dir=tmp_path)
    pool = await create_pool(database_url, min_size=5, max_size=10)
    try:
        deps = build_deps(settings, pool, None)  # HTTP only: no receipts
        command, documents = parse_json(SubmitDossier, _submission(7))
        results = await asyncio.gather(*(
            submit_dossier("p", command, documents, deps, now=RECEIVED) for _ in range(10)))
        assert len({receipt.dossier_code for receipt, _ in results}) == 1
        assert sum(created for _, created in results) == 1
        assert await pool.fetchval("SELECT count(*) FROM outbox_message") == 1
    finally:
        await pool.close()
