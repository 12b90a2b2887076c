"""Hypothesis strategies for fuzzing processing's officer API: what a hostile client sends
(tests/hostile/test_processing_fuzz.py sends it). Each request is sensible but for one
field, so that a field's flaw is never hidden behind another field's 422."""

from __future__ import annotations

import json
import math
import typing
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from services.processing.schemas import OfficerCommand
from tests.integration.processing.support import BODIES

odd_characters = st.one_of(st.just("\x00"),  # the one PostgreSQL refuses in text
                           st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]),
                           st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                           st.characters())


def hostile_texts(longest: int) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(odd_characters, max_size=40),
        st.tuples(st.text(max_size=8), st.text(max_size=8)).map("\x00".join),
        st.integers(1, longest).map(lambda n: "ẫ" * n),  # past every bound, multibyte UTF-8
        st.sampled_from(["%", "_", "\\", "' OR '1'='1' --", "\u202etxt.exe", "../../etc/passwd",
                         "9999-12-30", "0001-01-01", "NaN", "ktht", "tp", "", " ", "\x00",
                         "Dừng\x00lại", "\ud800", "Thiếu\udfff", "\udc00\ud800"]),
    )


hostile_text = hostile_texts(30_000)
url_text = hostile_texts(1_000)  # several of them stay within a URL's 64 KiB
huge_numbers = st.one_of(st.integers(-(10**30), 10**30), st.integers(2**63 - 2, 2**63 + 2),
                         st.floats(allow_nan=True, allow_infinity=True), st.just(10**4000),
                         st.sampled_from([math.inf, -math.inf, math.nan]))
hostile_json = st.recursive(
    st.one_of(st.none(), st.booleans(), huge_numbers, hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=8)
deep_json = st.integers(1, 5_000).map(lambda depth: "[" * depth + "]" * depth)

ACTION_FIELDS = {model.model_fields["action"].annotation.__args__[0]:
                 [name for name in model.model_fields if name != "action"]
                 for model in typing.get_args(typing.get_args(OfficerCommand)[0])}


@st.composite
def spoiled(draw: st.DrawFn, sensible: dict[str, Any],
            hostile: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    """A sensible request with one of its fields made hostile, so that a field's flaw is
    never hidden behind another field's 422."""
    name = draw(st.sampled_from(sorted(hostile)))
    return {**sensible, name: draw(hostile[name])}


def hostile_value(field: str) -> st.SearchStrategy[Any]:
    """Mostly what the field holds, made hostile (a string, a list of them, a date, a
    document), else any JSON at all."""
    if field in ("deadline", "new_due_date"):
        return st.one_of(st.dates().map(str), hostile_json)  # any date: the bounds' business
    if field == "missing":
        return st.one_of(st.lists(hostile_text, min_size=1, max_size=3), hostile_json)
    if field == "result_document":
        document = BODIES["approve"]["result_document"]
        return st.one_of(spoiled(document, {key: hostile_value(key) for key in document}),
                         hostile_json)
    return st.one_of(hostile_text, hostile_json)


def action_bodies(action: str) -> st.SearchStrategy[str]:
    return st.one_of(
        spoiled({"action": action, **BODIES[action]},
                {field: hostile_value(field) for field in ACTION_FIELDS[action]}),
        st.dictionaries(st.sampled_from(["action", "reason", "version", "x"]), hostile_json),
        hostile_json,
    ).map(lambda body: json.dumps(body, ensure_ascii=True))  # lone surrogates as \u escapes


def url_part(text: str) -> str:
    """Percent-encoded as sent on the wire, lone surrogates (not UTF-8) included."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def query_string(params: dict[str, Any]) -> str:
    return "&".join(f"{key}={url_part(value)}" for key, values in params.items()
                    for value in (values if isinstance(values, list) else [values]))


numbers_as_text = st.one_of(
    st.integers(-10, 20_000).map(str), st.integers(2**60, 10**25).map(str), url_text,
    st.sampled_from(["1e400", "-0", "0x10", "１", "10000", "10001", "99999999999999999999",
                     "9223372036854775807"]))
queue_queries = spoiled({}, {
    "q": url_text, "page": numbers_as_text, "page_size": numbers_as_text,
    "status": st.lists(st.one_of(st.sampled_from(["accepted", "in_progress"]), url_text),
                       max_size=3),
    "sla_state": st.lists(st.one_of(st.just("overdue"), url_text), max_size=3),
    "sort": st.one_of(st.just("-due_date"), url_text),
}).map(query_string)
path_codes = st.one_of(url_text, st.from_regex(r"\A[A-Z][A-Z0-9]{1,9}-[0-9]{6}-[0-9]{4}\Z"))
