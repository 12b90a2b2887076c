"""HTTP submissions registered in short lots (issue 17): concurrent submissions share
transactions, every one is answered as if registered alone, and a lot that fails falls back
to one transaction per submission without a duplicate or a gap."""

from __future__ import annotations

import asyncio

import pytest

from services.intake.api.lots import RegistrationLots
from services.intake.bootstrap import SPEC, build_deps
from services.intake.handlers.submission import submit_dossier
from services.intake.parsing import parse_json
from services.intake.schemas import SubmitDossier
from services.intake.settings import IntakeSettings
from shared.runtime.db import SHARED_MIGRATIONS, create_pool, migrate, migration_files
from tests.integration.intake.test_intake_concurrency import RECEIVED, _submission

pytestmark = pytest.mark.integration


@pytest.fixture
async def deps(database_url: str, tmp_path):
    await migrate(database_url, migration_files(SHARED_MIGRATIONS, SPEC.migrations))
    settings = IntakeSettings(portal_secrets="p:0123456789abcdef", document_dir=tmp_path)
    pool = await create_pool(database_url, min_size=5, max_size=10)
    yield build_deps(settings, pool, None)
    await pool.close()


async def test_simultaneous_submissions_share_transactions_and_each_gets_its_receipt(
    deps,
) -> None:
    lots = RegistrationLots(deps)
    commands = [parse_json(SubmitDossier, _submission(n)) for n in range(30)]
    results = await asyncio.gather(*(
        submit_dossier("p", command, documents, deps, now=RECEIVED, registrar=lots.register)
        for command, documents in commands))

    assert all(created for _, created in results)
    codes = sorted(receipt.dossier_code for receipt, _ in results)
    assert codes == [f"VTH-250312-{n:04d}" for n in range(1, 31)]
    rows = await deps.pool.fetch("SELECT code, portal_submission_id, xmin::text AS tx "
                                 "FROM dossier")
    by_submission = {r["portal_submission_id"]: r["code"] for r in rows}
    for (command, _), (receipt, _) in zip(commands, results, strict=True):
        assert by_submission[command.portal_submission_id] == receipt.dossier_code
    assert len({r["tx"] for r in rows}) < 30  # fewer transactions than submissions
    assert await deps.pool.fetchval("SELECT count(*) FROM outbox_message") == 30


async def test_a_lot_holding_replays_falls_back_to_one_transaction_each(deps) -> None:
    lots = RegistrationLots(deps)
    replayed = parse_json(SubmitDossier, _submission(7))
    others = [parse_json(SubmitDossier, _submission(100 + n)) for n in range(10)]
    calls = [replayed] * 10 + others
    results = await asyncio.gather(*(
        submit_dossier("p", command, documents, deps, now=RECEIVED, registrar=lots.register)
        for command, documents in calls))

    copies, fresh = results[:10], results[10:]
    assert len({receipt.dossier_code for receipt, _ in copies}) == 1
    assert sum(created for _, created in copies) == 1
    assert all(created for _, created in fresh)
    codes = sorted({receipt.dossier_code for receipt, _ in results})
    assert codes == [f"VTH-250312-{n:04d}" for n in range(1, 12)]  # no gap: a failed lot
    assert await deps.pool.fetchval("SELECT count(*) FROM dossier") == 11  # gives them back
    assert await deps.pool.fetchval("SELECT count(*) FROM outbox_message") == 11
