"""The published contracts (AsyncAPI, OpenAPI) are generated from the code and up to date."""

from __future__ import annotations

import json

from deploy.contracts import asyncapi, documents
from shared.contracts.events import EVENT_TYPES


def test_the_committed_contracts_match_the_code() -> None:
    stale = [str(p) for p, text in documents().items()
             if not p.exists() or p.read_text("utf-8") != text]
    assert not stale, f"out of date, run `make contracts`: {stale}"


def test_every_event_is_published_on_a_channel_of_the_asyncapi_document() -> None:
    document = asyncapi()
    messages = json.dumps(document["components"]["schemas"])
    for name, model in EVENT_TYPES.items():
        if model.__module__ != "shared.contracts.events":
            continue
        assert f"{name}Envelope" in messages, name
        assert model.topic in document["channels"], (name, model.topic)
