"""The read model is built from events published to the real broker, and rebuilt from the
topics into a fresh schema with the same figures, without a gap: events the live consumer
recorded while the rebuild read are in the new build when it becomes current."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.reporting import rebuild
from services.reporting.handlers import reports
from services.reporting.repository import builds, facts
from services.reporting.schemas import IndicatorQuery
from shared.contracts.events import DossierRated, Envelope
from tests.integration.reporting.histories import histories, vn
from tests.support import wait_until

pytestmark = pytest.mark.integration


def agency() -> str:
    return f"R{uuid.uuid4().hex[:5].upper()}"


async def recorded(pool, ids: set[uuid.UUID]) -> int:
    schema = await builds.current(pool)
    return int(await pool.fetchval(
        f"SELECT count(*) FROM {schema}.event WHERE dossier_id = ANY($1::uuid[])",  # noqa: S608
        list(ids)))


async def published(live, pool, code: str) -> tuple[dict, list[Envelope]]:
    stories = histories(code)
    envelopes = [e for h in stories.values() for e in h.envelopes()]
    await live(envelopes)
    ids = {h.dossier_id for h in stories.values()}
    await wait_until(lambda: _equals(recorded(pool, ids), len(envelopes)), timeout=60,
                     description="every published event recorded")
    return stories, envelopes


async def _equals(value, expected) -> bool:
    return await value == expected


def march(code: str) -> IndicatorQuery:
    return IndicatorQuery(agency=code, **{"from": date(2025, 3, 1)}, to=date(2025, 3, 31))


async def test_events_from_the_broker_make_the_figures_and_a_redelivery_changes_none(
        live, pool, deps) -> None:
    code = agency()
    stories, envelopes = await published(live, pool, code)
    report = await reports.indicator_report(deps, march(code))
    total = report["total"]
    assert (total["received"], total["resolved"], total["early"], total["on_time"],
            total["late"], total["on_time_rate"], total["satisfaction_rate"],
            total["avg_gain_actual_days"], total["overdue_now"], total["at_risk_now"]) == (
        10, 5, 1, 3, 1, 0.8, 0.6, 3.4, 1, 1)
    assert [p["period"] for p in report["periods"]] == ["2025-03"]
    assert list(report["by_department"]) == ["ktht", "tp"]

    d = stories["D"].dossier_id
    await live([e for e in envelopes if e.dossier_id == d])  # redelivered: the same ids
    marker = Envelope.wrap(DossierRated(dossier_code=stories["D"].code, rating="satisfied",
                                        rated_at=vn(21, 9)),
                           dossier_id=d, producer="test",
                           occurred_at=vn(21, 9))
    await live([marker])  # after the redelivery on D's partition: once it is in, so are they
    ids = {h.dossier_id for h in stories.values()}
    await wait_until(lambda: _equals(recorded(pool, ids), len(envelopes) + 1), timeout=60)
    again = await reports.indicator_report(deps, march(code))
    assert again["total"]["received"] == 10
    assert again["total"]["ratings"]["satisfied"] == 3  # D's rating, the one new event

    schema = await builds.current(pool)
    stored = await pool.fetch(f"SELECT payload::text AS p FROM {schema}.event")  # noqa: S608
    assert not any("092301004567" in r["p"] or "Nguyễn Văn A" in r["p"] for r in stored)


async def test_a_rebuild_from_the_topics_gives_the_same_figures(live, pool, deps, settings,
                                                                topics) -> None:
    code = agency()
    await published(live, pool, code)
    before = await reports.indicator_report(deps, march(code))
    old = await builds.current(pool)

    result = await rebuild.rebuild(settings, list(topics.values()))

    assert result.replaced == old and result.schema != old
    assert await builds.current(pool) == result.schema
    after = await reports.indicator_report(deps, march(code))
    assert after["build"] == result.schema
    assert {k: v for k, v in after.items() if k != "build"} == {
        k: v for k, v in before.items() if k != "build"}
    # rebuilt again: the first build is dropped, the one it replaced kept
    second = await rebuild.rebuild(settings, list(topics.values()))
    names = [r["schema_name"] for r in await builds.builds(pool)]
    assert names == [result.schema, second.schema]
    assert (await reports.indicator_report(deps, march(code)))["total"] == before["total"]


async def test_events_the_live_build_took_during_a_rebuild_are_in_the_new_build(
        live, pool, deps, settings, topics) -> None:
    code = agency()
    stories, envelopes = await published(live, pool, code)
    old = await builds.current(pool)
    schema = builds.new_schema_name()
    async with pool.acquire() as conn:
        await builds.create_build(conn, schema, "rebuild")
    events, _, marks = await rebuild.replay(pool, settings, schema, list(topics.values()))

    # After the high-water marks the replay read to: only the live build has it.
    d = stories["D"]
    late = Envelope.wrap(DossierRated(dossier_code=d.code, rating="unsatisfied",
                                      rated_at=vn(21, 10)),
                         dossier_id=d.dossier_id, producer="test", occurred_at=vn(21, 10))
    await live([late])
    ids = {h.dossier_id for h in stories.values()}
    await wait_until(lambda: _equals(recorded(pool, ids), len(envelopes) + 1), timeout=60)
    assert not await pool.fetchval(
        f"SELECT count(*) FROM {schema}.event WHERE event_id = $1", late.event_id)  # noqa: S608

    replaced, copied = await rebuild.switch_to(pool, schema, events, marks)
    assert (replaced, copied >= 1) == (old, True)
    report = await reports.indicator_report(deps, march(code))
    assert report["build"] == schema
    assert report["total"]["ratings"]["unsatisfied"] == 2  # A's, and D's sent mid-rebuild
    assert report["total"]["satisfaction_rate"] == 0.4  # (5 − A, B, D) / 5
    assert await facts.event_count(pool, schema) >= len(envelopes) + 1


async def test_the_event_topics_are_created_with_an_explicit_retention(live, settings) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in rebuild.TOPICS])
    finally:
        await admin.close()
    found = {resource[3]: {entry[0]: entry[1] for entry in resource[4]}
             for answer in answers for resource in answer.resources}
    assert {t: found[t].get("retention.ms") for t in rebuild.TOPICS} == dict.fromkeys(
        rebuild.TOPICS, "-1")


async def test_the_background_job_folds_what_the_consumer_recorded(live, pool, deps) -> None:
    import asyncio

    from services.reporting.handlers.events import fold_continuously

    code = agency()
    stories, _ = await published(live, pool, code)  # recorded, their dossiers marked
    schema = await builds.current(pool)
    ids = [h.dossier_id for h in stories.values()]

    async def folded() -> bool:
        rows = await pool.fetch(
            f"SELECT facts FROM {schema}.dossier WHERE dossier_id = ANY($1::uuid[])",  # noqa: S608
            ids)
        return len(rows) == 10 and not await pool.fetchval(
            f"SELECT count(*) FROM {schema}.dirty WHERE dossier_id = ANY($1::uuid[])",  # noqa: S608
            ids)

    job = asyncio.create_task(fold_continuously(deps))
    try:
        await wait_until(folded, timeout=30, description="the job folded every dossier")
    finally:
        job.cancel()
        await asyncio.gather(job, return_exceptions=True)
    a = await pool.fetchval(f"SELECT facts FROM {schema}.dossier WHERE dossier_id = $1",  # noqa: S608
                            stories["A"].dossier_id)
    assert (a["end"], a["rating"], a["paid_online"]) == ("decided", "unsatisfied", True)


async def test_a_second_rebuild_at_the_same_time_is_refused(pool, settings) -> None:
    async with pool.acquire() as other:  # a rebuild in progress holds this lock
        assert await other.fetchval("SELECT pg_try_advisory_lock($1)", rebuild._REBUILD_LOCK)
        with pytest.raises(rebuild.RebuildError, match="another rebuild is running"):
            await rebuild.rebuild(settings)
        await other.execute("SELECT pg_advisory_unlock_all()")
    before = await builds.current(pool)
    assert [r["schema_name"] for r in await builds.builds(pool)] == [before]
