"""Findings 7 and 10: strings, numbers and dates that used to answer 500, or be stored as sent.

Every answer here is a 4xx that names the field and the reason; none echoes a personal value.
"""

from __future__ import annotations

import pytest

from shared.portal.auth import signed_headers
from tests.integration.intake.support import SECRETS, Intake, submission

pytestmark = pytest.mark.integration
MARRIAGE = "2.002189"


async def _procedure(intake: Intake) -> dict:
    return (await intake.http.get(f"/v1/procedures/{MARRIAGE}")).json()


def _reasons(answer) -> str:
    assert answer.status_code < 500, answer.text
    return str(answer.json()["detail"])


@pytest.mark.parametrize(("where", "value"), [
    (("portal_submission_id",), "sub\x00mission"),
    (("applicant", "full_name"), "Nguyễn\x00Thị Hoa"),
    (("applicant", "full_name"), "Nguyễn Thị Hoa\u202e"),
    (("submitted_by", "name"), "Trần\x07 Văn Nam"),
    (("postal_address", "street"), "12 Đường 3/2\x1b[2J"),
    (("documents", 0, "filename"), "to-khai\x00.pdf"),
    (("documents", 0, "kind"), "to_khai\x00"),
])
async def test_control_and_bidi_characters_in_any_field_are_a_422_naming_it(
    intake: Intake, where: tuple, value: str,
) -> None:
    body = submission(await _procedure(intake), submitted_by={"kind": "helper", "name": "Nam"})
    target = body
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    answer = await intake.submit(body)
    assert answer.status_code == 422
    field = ".".join(str(k) for k in where).replace(".0.", "[0].")
    assert f"{field}: must not contain U+" in _reasons(answer)


@pytest.mark.parametrize("path", [
    "/v1/dossiers/VTH-250101-0001%00", "/v1/dossiers/VTH%00/withdraw",
    "/v1/dossiers/VTH-250101-0001/documents/%00", "/v1/track/VTH-250101-0001%00?phone_last4=5678",
])
async def test_a_nul_in_a_path_parameter_is_a_422(intake: Intake, path: str) -> None:
    method = "POST" if path.endswith("withdraw") else "GET"
    answer = await intake.send(method, path)
    assert answer.status_code == 422, answer.text
    assert "pattern" in _reasons(answer)


async def test_a_nul_in_a_query_parameter_is_a_422(intake: Intake) -> None:
    answer = await intake.http.get("/v1/due-date", params={
        "procedure_code": "2.002189\x00", "received_at": "2025-01-23T10:00:00+07:00"})
    assert answer.status_code == 422 and "U+0000" in _reasons(answer)


@pytest.mark.parametrize(("raw", "reason"), [
    (b'{"portal_submission_id": "\\ud800"}', "not valid JSON"),
    (b'{"portal_submission_id": "\\udc00x"}', "surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, "recursion limit"),
    (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "recursion limit"),
])
async def test_json_that_no_encoder_can_handle_is_a_422(intake: Intake, raw: bytes,
                                                        reason: str) -> None:
    headers = {**signed_headers("portal-a", SECRETS["portal-a"], raw, method="POST",
                              path="/v1/dossiers"),
               "Content-Type": "application/json"}
    answer = await intake.http.post("/v1/dossiers", content=raw, headers=headers)
    assert answer.status_code == 422 and reason in _reasons(answer)


@pytest.mark.parametrize("timestamp", ["²⁰²⁵".encode(), b"9" * 5000, b"1e9", b"-1"])
async def test_a_malformed_timestamp_is_a_401(intake: Intake, timestamp: bytes) -> None:
    headers = {**signed_headers("portal-a", SECRETS["portal-a"], b"", method="GET",
                              path="/v1/dossiers/VTH-250101-0001"),
               "X-Timestamp": timestamp}
    answer = await intake.http.get("/v1/dossiers/VTH-250101-0001", headers=headers)
    assert answer.status_code == 401 and "X-Timestamp" in _reasons(answer)


@pytest.mark.parametrize("received_at", ["9999-12-31T23:59:59+07:00", "0001-01-01T00:00:00Z",
                                         "2025-01-23T10:00:00+07:00" + "0" * 5000])
async def test_a_date_outside_the_calendar_is_a_422_not_an_overflow(intake: Intake,
                                                                    received_at: str) -> None:
    answer = await intake.http.get("/v1/due-date", params={
        "procedure_code": MARRIAGE, "received_at": received_at})
    assert answer.status_code == 422 and "received_at" in _reasons(answer)


@pytest.mark.parametrize(("field", "value"), [
    ("id_number", "０９２３０１００４５６７"),  # fullwidth
    ("id_number", "٠٩٢٣٠١٠٠٤٥٦٧"),  # Arabic-Indic
    ("phone", "٠٩١٢٣٤٥٦٧٨"),
    ("phone", "０９１２３４５６７８"),
])
async def test_identity_numbers_and_phones_take_ascii_digits_only(intake: Intake, field: str,
                                                                  value: str) -> None:
    body = submission(await _procedure(intake))
    body["applicant"][field] = value
    answer = await intake.submit(body)
    assert answer.status_code == 422
    assert f"applicant.{field}: must be" in _reasons(answer) and value not in answer.text


async def test_past_its_upload_slots_a_portal_gets_429_at_once(intake: Intake) -> None:
    import asyncio
    from dataclasses import replace

    import httpx

    from services.intake.api.body import UploadSlots
    from tests.integration.intake.support import intake_app

    app = intake_app(replace(intake.deps, uploads=UploadSlots(1, 1024)))
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_body():
        yield b"{"
        started.set()  # intake asks for more: it holds the slot and reads
        await release.wait()  # ... until the second request was answered
        yield b"}"

    headers = {**signed_headers("portal-a", SECRETS["portal-a"], b"{}", method="POST",
                              path="/v1/dossiers"),
               "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://intake") as http:
        first = asyncio.create_task(http.post("/v1/dossiers", content=slow_body(),
                                              headers=headers))
        await started.wait()
        second = await http.post("/v1/dossiers", content=b"{" + b" " * 2048 + b"}",
                                 headers=headers)
        release.set()
        assert second.status_code == 429 and second.headers["Retry-After"] == "1"
        assert "large uploads in flight" in second.json()["detail"]
        assert (await first).status_code == 422  # read, verified, then judged: {} is invalid
        headers = {**headers, **signed_headers("portal-a", SECRETS["portal-a"], b"{}",
                                               method="POST", path="/v1/dossiers")}
        small = await http.post("/v1/dossiers", content=b"{}", headers=headers)
        assert small.status_code == 422  # small bodies take no slot
