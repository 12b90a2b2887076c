"""Finding 3: public tracking leaked officers' free text, could be walked code by code, and its
rate limit trusted a header the client writes and counted per replica."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.api.limiter import TrackingLimiter
from services.intake.handlers.timeline import record_in_timeline
from shared.contracts.events import Envelope, SupplementRequested
from shared.runtime.outbox import UnitOfWork
from tests.integration.intake.support import Intake, intake_app, submission

pytestmark = pytest.mark.integration
OTHER_PERSON = "Lê Văn Tám, CCCD 079203001234"


async def _registered(intake: Intake) -> tuple[str, uuid.UUID]:
    procedure = (await intake.http.get("/v1/procedures/2.002189")).json()
    created = await intake.submit(submission(procedure))
    assert created.status_code == 201, created.text
    code = created.json()["dossier_code"]
    view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    return code, uuid.UUID(view["dossier_id"])


async def _supplement_requested(intake: Intake, dossier_id: uuid.UUID, code: str) -> None:
    event = SupplementRequested(dossier_code=code, deadline=date(2031, 1, 15),
                                missing=("giay_to_tuy_than", OTHER_PERSON), reason="Ảnh mờ")
    envelope = Envelope.wrap(event, dossier_id=dossier_id, producer="processing",
                             dossier_code=code)
    async with UnitOfWork(intake.pool, producer="test") as uow:
        await record_in_timeline(event, envelope, uow)
        await uow.commit()


async def test_the_public_timeline_lists_document_kinds_never_an_officers_words(
    intake: Intake,
) -> None:
    code, dossier_id = await _registered(intake)
    await _supplement_requested(intake, dossier_id, code)
    answer = await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})
    assert answer.status_code == 200, answer.text
    entry = answer.json()["timeline"][-1]
    assert entry["detail"]["missing"] == ["giay_to_tuy_than"]
    assert "079203001234" not in answer.text and "Lê Văn Tám" not in answer.text
    portal_view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    assert OTHER_PERSON in json.dumps(portal_view, ensure_ascii=False)  # the portal's own view


async def test_tracking_needs_the_phones_last_four_digits_and_a_wrong_one_is_unknown(
    intake: Intake,
) -> None:
    code, _ = await _registered(intake)  # the applicant's phone is 0912345678
    assert (await intake.http.get(f"/v1/track/{code}")).status_code == 422
    wrong = await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "0000"})
    next_code = code[:-4] + f"{int(code[-4:]) + 500:04d}"
    unknown = await intake.http.get(f"/v1/track/{next_code}", params={"phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["detail"].replace(code, "X") == unknown.json()["detail"].replace(
        next_code, "X")
    for malformed in ("567", "56789", "５６７８"):
        answer = await intake.http.get(f"/v1/track/{code}", params={"phone_last4": malformed})
        assert answer.status_code == 422, malformed
    right = await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})
    assert right.status_code == 200


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2031, 1, 6, 9, 0, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_the_limit_is_per_rightmost_untrusted_hop_and_shared_by_replicas(
    intake: Intake,
) -> None:
    clock = Clock()
    replicas = [intake_app(intake.deps.__class__(**{
        **intake.deps.__dict__, "tracking_limiter": TrackingLimiter(
            intake.pool, "5/minute", "1000/hour", trusted_proxies="127.0.0.1", clock=clock)}))
        for _ in range(2)]
    import httpx

    clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i")
               for app in replicas]
    try:
        answers = []
        for n in range(7):  # the client forges a new first hop each time; the proxy appends
            forwarded = {"X-Forwarded-For": f"10.0.0.{n}, 203.0.113.7"}
            answers.append(await clients[n % 2].get(
                f"/v1/track/VTH-000101-{n:04d}", params={"phone_last4": "1234"},
                headers=forwarded))
        assert [a.status_code for a in answers] == [404] * 5 + [429] * 2
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
        assert "thử lại sau" in answers[-1].json()["detail"]
        other = await clients[0].get("/v1/track/VTH-000101-0001", params={
            "phone_last4": "1234"}, headers={"X-Forwarded-For": "198.51.100.2"})
        assert other.status_code == 404
        clock.now += timedelta(minutes=1)
        again = await clients[1].get("/v1/track/VTH-000101-0001", params={
            "phone_last4": "1234"}, headers={"X-Forwarded-For": "203.0.113.7"})
        assert again.status_code == 404
    finally:
        for client in clients:
            await client.aclose()


async def test_one_code_cannot_be_guessed_at_from_many_addresses(intake: Intake) -> None:
    clock = Clock()
    app = intake_app(intake.deps.__class__(**{
        **intake.deps.__dict__, "tracking_limiter": TrackingLimiter(
            intake.pool, "1000/minute", "3/hour", trusted_proxies="127.0.0.1", clock=clock)}))
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://i") as http:
        codes = [(await http.get("/v1/track/VTH-000102-0001", params={
            "phone_last4": f"{n:04d}"}, headers={"X-Forwarded-For": f"192.0.2.{n}"})
        ).status_code for n in range(5)]
    assert codes == [404] * 3 + [429] * 2
