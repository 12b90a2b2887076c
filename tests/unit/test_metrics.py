"""The runtime's own metrics: HTTP per route template, consumer lag, provider answers."""

from __future__ import annotations

import httpx
from aiokafka import TopicPartition
from fastapi import FastAPI
from prometheus_client import REGISTRY

from shared.runtime.metrics import HttpMetrics, measure_lag, provider_answer


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_http_requests_are_counted_by_route_template_never_by_path() -> None:
    app = FastAPI()

    @app.get("/v1/things/{code}")
    async def thing(code: str) -> dict[str, str]:
        return {"code": code}

    app.add_middleware(HttpMetrics)
    labels = {"method": "GET", "route": "/v1/things/{code}", "status": "200"}
    before = sample("http_requests_total", **labels)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as http:
        assert (await http.get("/v1/things/HCM-260101-0001")).status_code == 200
        assert (await http.get("/v1/things/HCM-260101-0002")).status_code == 200
        assert (await http.get("/nowhere/HCM-260101-0003")).status_code == 404
    assert sample("http_requests_total", **labels) == before + 2
    assert sample("http_request_duration_seconds_count", method="GET",
                  route="/v1/things/{code}") >= 2
    assert sample("http_requests_total", method="GET", route="<unmatched>", status="404") >= 1
    exposed = b"".join(m.name.encode() + repr(m.samples).encode() for m in REGISTRY.collect())
    assert b"HCM-260101" not in exposed  # no dossier code became a label


class _Consumer:
    def __init__(self, highwater: dict[tuple[str, int], int]) -> None:
        self._highwater = highwater

    def highwater(self, partition: TopicPartition) -> int | None:
        return self._highwater.get((partition.topic, partition.partition))


class _Record:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset


def test_lag_is_the_high_water_mark_less_the_offset_after_the_batch() -> None:
    consumer = _Consumer({("dossier.events", 0): 120, ("dossier.events", 3): 11})
    batch = [_Record("dossier.events", 0, 40), _Record("dossier.events", 0, 41),
             _Record("dossier.events", 3, 10), _Record("dossier.events", 5, 2)]
    measure_lag(consumer, "unit-lag", batch)
    assert sample("kafka_consumer_lag", group="unit-lag", topic="dossier.events",
                  partition="0") == 120 - 42
    assert sample("kafka_consumer_lag", group="unit-lag", topic="dossier.events",
                  partition="3") == 0
    # a partition whose high-water mark is not known yet is not guessed
    assert REGISTRY.get_sample_value("kafka_consumer_lag", {
        "group": "unit-lag", "topic": "dossier.events", "partition": "5"}) is None


def test_provider_answers_are_counted_by_code_and_a_strange_code_is_other() -> None:
    before = sample("provider_answers_total", provider="unit", operation="send", code="100")
    provider_answer("unit", "100", "send")
    provider_answer("unit", "<script>" * 10, "send")
    provider_answer("unit", None, "send")
    assert sample("provider_answers_total", provider="unit", operation="send",
                  code="100") == before + 1
    assert sample("provider_answers_total", provider="unit", operation="send",
                  code="other") >= 2
