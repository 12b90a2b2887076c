"""Finding 8: documents are written before their dossier commits; what a failed submission
wrote is swept, what a dossier cites never is, and each portal's bytes have a daily quota."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.intake.adapters.documents import DocumentNotFound
from services.intake.handlers.storage import sweep_once
from services.intake.handlers.submission import prepare_submission, register
from services.intake.parsing import parse_json
from services.intake.schemas import SubmitDossier
from tests.integration.intake.support import PDF, Intake, intake_app, submission

pytestmark = pytest.mark.integration


async def _body(intake: Intake, content: bytes, **changes) -> dict:
    procedure = (await intake.http.get("/v1/procedures/2.002189")).json()
    body = submission(procedure, **changes)
    body["documents"][0]["content_base64"] = base64.b64encode(content).decode()
    return body


async def _prepared(intake: Intake, body: dict, now: datetime):
    command, documents = parse_json(SubmitDossier, json.dumps(body).encode())
    return await prepare_submission("portal-a", command, documents, intake.deps, now=now)


async def _stored(intake: Intake, content: bytes) -> bool:
    import hashlib

    try:
        await intake.deps.documents.get(hashlib.sha256(content).hexdigest())
    except DocumentNotFound:
        return False
    return True


async def test_what_a_submission_stored_before_failing_is_swept_after_the_grace(
    intake: Intake,
) -> None:
    now = datetime.now(UTC)
    winner = await _body(intake, PDF + b"winner")
    loser = await _body(intake, PDF + b"loser", portal_submission_id=winner[
        "portal_submission_id"])
    late = await _prepared(intake, loser, now)  # both checked before either commits
    await register([await _prepared(intake, winner, now)], intake.deps)
    with pytest.raises(asyncpg.UniqueViolationError):
        await register([late], intake.deps)
    assert await _stored(intake, PDF + b"loser")  # written, cited by nothing

    grace = timedelta(seconds=intake.deps.staged_document_grace_s)
    assert await sweep_once(intake.deps, now=now + grace / 2) == 0
    assert await sweep_once(intake.deps, now=now + grace + timedelta(seconds=1)) >= 1
    assert not await _stored(intake, PDF + b"loser")
    assert await _stored(intake, PDF + b"winner") and await _stored(intake, PDF)


async def test_bytes_a_new_submission_leases_again_are_not_swept(intake: Intake) -> None:
    now = datetime.now(UTC)
    grace = timedelta(seconds=intake.deps.staged_document_grace_s)
    await _prepared(intake, await _body(intake, PDF + b"again"), now - 2 * grace)  # failed
    retried = await _prepared(intake, await _body(intake, PDF + b"again"), now)
    await register([retried], intake.deps)
    await sweep_once(intake.deps, now=now + grace / 2)
    assert await _stored(intake, PDF + b"again")
    await sweep_once(intake.deps, now=now + 10 * grace)  # kept: never swept
    assert await _stored(intake, PDF + b"again")


async def test_a_portal_over_its_daily_quota_gets_429_and_nothing_is_written(
    intake: Intake,
) -> None:
    used = await intake.pool.fetchval(
        "SELECT coalesce(sum(bytes), 0) FROM portal_storage_day WHERE portal = 'portal-b'")
    app = intake_app(replace(intake.deps, portal_daily_quota_bytes=used + 3 * len(PDF) + 10))
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as http:
        quota = Intake(http, intake.pool, intake.deps, app)
        first = await quota.submit(await _body(quota, PDF), portal="portal-b")
        assert first.status_code == 201, first.text
        over = await quota.submit(await _body(quota, PDF + b"over quota"), portal="portal-b")
        assert over.status_code == 429 and "quota" in str(over.json()["detail"])
        assert not await _stored(intake, PDF + b"over quota")
