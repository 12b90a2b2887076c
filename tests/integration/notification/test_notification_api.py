"""Notification's HTTP edge and what it shows: the messages API behind the operator
credential, template previews, the applicant's channel choice, the approver's alerts, the fee
reminder's link, and template versions kept per message."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest

from services.notification import templating
from services.notification.deps import Writing
from shared.contracts.events import (
    DossierAtRisk,
    DossierOverdue,
    DossierWithdrawn,
    Envelope,
    FeePaymentDue,
    PaymentRequested,
)
from tests.integration.notification.support import (
    APPROVER,
    OPERATOR_TOKEN,
    Stack,
    handle,
    notification_stack,
    submit,
    tell,
)

pytestmark = pytest.mark.integration
CODE = "VTH-250401-0001"
AUTH = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
async def stack(pool) -> AsyncIterator[Stack]:
    async with notification_stack(pool, report_delay_s=1) as running:
        yield running


async def test_the_messages_api_shows_both_channels_with_their_statuses_to_operators_only(
        stack) -> None:
    dossier_id = await submit(stack.pool, CODE)
    await tell(stack.pool, dossier_id, CODE, DossierWithdrawn(dossier_code=CODE))
    assert await stack.send_sms() == 1
    assert await stack.sandbox.advance(1) == 1

    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": OPERATOR_TOKEN}):
        refused = await stack.http.get("/v1/messages", params={"dossier_code": CODE},
                                       headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"]
    listed = await stack.http.get("/v1/messages", params={"dossier_code": CODE}, headers=AUTH)
    assert listed.status_code == 200
    by_channel = {m["channel"]: m for m in listed.json()}
    assert set(by_channel) == {"email", "sms"}
    sms = by_channel["sms"]
    assert (sms["status"], sms["reference"], sms["template_id"], sms["template_version"]) == \
        ("delivered", CODE, "withdrawn", 1)
    assert [h["status"] for h in sms["history"]] == ["created", "sending", "delivered"]
    assert sms["segments"] == 1 and sms["encoding"] == "gsm7" and sms["provider_id"]
    assert by_channel["email"]["status"] == "created"
    assert "Kính gửi Ông/Bà Trần Văn Bình" in by_channel["email"]["body"]

    one = await stack.http.get(f"/v1/messages/{sms['id']}", headers=AUTH)
    assert one.json() == sms
    assert (await stack.http.get(f"/v1/messages/{sms['id']}")).status_code == 401
    assert (await stack.http.get(f"/v1/messages/{uuid.uuid4()}", headers=AUTH)).status_code \
        == 404
    bad = await stack.http.get("/v1/messages", params={"dossier_code": "x"}, headers=AUTH)
    assert bad.status_code == 422


async def test_a_closed_messages_api_answers_401_to_everyone(stack) -> None:
    object.__setattr__(stack.deps, "operator_token", None)
    closed = await stack.http.get("/v1/messages", params={"dossier_code": CODE},
                                  headers={"Authorization": "Bearer anything"})
    assert closed.status_code == 401 and "NOTIFICATION_OPERATOR_TOKEN" in closed.json()["detail"]


async def test_a_preview_renders_both_channels_and_names_missing_values(stack) -> None:
    values = {"full_name": "Lê Thị Cúc", "dossier_code": CODE,
              "procedure_name": "Đăng ký khai sinh", "tracking_code": "EJ012345678VN"}
    shown = await stack.http.post("/v1/templates/result_shipped/preview",
                                  json={"values": values})
    assert shown.status_code == 200
    body = shown.json()
    assert body["version"] == 1
    assert body["subject"] == f"Kết quả hồ sơ {CODE} đã được gửi qua bưu điện"
    assert "Kính gửi Ông/Bà Lê Thị Cúc" in body["email"] and "EJ012345678VN" in body["email"]
    assert body["sms"] == {"text": f"Mot Cua: Ket qua ho so {CODE} da duoc gui qua buu dien, "
                                   "ma van don EJ012345678VN.", "encoding": "gsm7",
                           "segments": 1}
    missing = await stack.http.post("/v1/templates/result_shipped/preview",
                                    json={"values": {"dossier_code": CODE}})
    assert missing.status_code == 422
    assert "no value for ((tracking_code))" in missing.json()["detail"]
    for path, payload in (("/v1/templates/nothing/preview", {}),
                          ("/v1/templates/result_shipped/preview", {"version": 9})):
        assert (await stack.http.post(path, json=payload)).status_code == 404


@pytest.mark.parametrize(("channels", "expected"), [
    (None, ["email", "sms"]), (("email", "sms"), ["email", "sms"]), (("sms",), ["sms"]),
    (("email",), ["email"]),
])
async def test_the_applicant_is_told_on_the_channels_chosen(stack, channels,
                                                            expected: list[str]) -> None:
    dossier_id = await submit(stack.pool, CODE, channels=channels)
    await tell(stack.pool, dossier_id, CODE, DossierWithdrawn(dossier_code=CODE))
    rows = await stack.pool.fetch("SELECT channel, recipient FROM message ORDER BY channel")
    assert [r["channel"] for r in rows] == expected
    assert {r["recipient"] for r in rows} <= {"binh@example.vn", "0912345678"}


async def test_the_department_approver_gets_the_at_risk_and_overdue_alerts_by_email(stack):
    dossier_id = await submit(stack.pool, CODE)
    await tell(stack.pool, dossier_id, CODE, DossierAtRisk(
        dossier_code=CODE, department_code="tp", due_date=date(2025, 2, 10),
        working_days_left=1))
    await tell(stack.pool, dossier_id, CODE, DossierOverdue(
        dossier_code=CODE, department_code="tp", due_date=date(2025, 2, 10)))
    await tell(stack.pool, dossier_id, CODE, DossierOverdue(
        dossier_code=CODE, department_code="no_approver", due_date=date(2025, 2, 10)))
    rows = await stack.pool.fetch("SELECT channel, recipient, audience, template_id, subject "
                                  "FROM message ORDER BY template_id")
    assert [tuple(r) for r in rows] == [
        ("email", APPROVER, "approver", "approver_at_risk",
         f"Hồ sơ {CODE} sắp đến hạn trả kết quả"),
        ("email", APPROVER, "approver", "approver_overdue",
         f"Hồ sơ {CODE} đã quá hạn trả kết quả")]


async def test_the_fee_reminder_carries_the_link_remembered_from_the_fee_request(stack):
    dossier_id = await submit(stack.pool, CODE, channels=("sms",))
    link = "http://127.0.0.1:8003/v1/pay/tok-123"
    await tell(stack.pool, dossier_id, CODE, PaymentRequested(
        dossier_code=CODE, payment_id=uuid.uuid4(), amount=Decimal(75000), pay_url=link))
    await tell(stack.pool, dossier_id, CODE, FeePaymentDue(
        dossier_code=CODE, department_code="tp", amount=Decimal(75000),
        fee_due_date=date(2025, 2, 14)))
    bodies = {r["template_id"]: r["body"] for r in await stack.pool.fetch(
        "SELECT template_id, body FROM message")}
    assert link in bodies["fee_payment_link"] and link in bodies["fee_payment_due"]
    assert "han 14/02/2025" in bodies["fee_payment_due"]


async def test_an_old_message_keeps_its_version_when_a_new_one_is_published(stack, tmp_path):
    dossier_id = await submit(stack.pool, CODE, channels=("email",))
    first = await tell(stack.pool, dossier_id, CODE, DossierWithdrawn(dossier_code=CODE))
    folder = tmp_path / "templates"
    shutil.copytree(templating.DEFAULT_DIR, folder)
    old = (folder / "withdrawn" / "v1.toml").read_text()
    (folder / "withdrawn" / "v2.toml").write_text(
        old.replace("không tiếp tục giải quyết", "đã kết thúc, không tiếp tục giải quyết"))
    newer = Writing(templates=templating.load(folder))
    again = DossierWithdrawn(dossier_code=CODE, reason="second")
    await handle(stack.pool, again, Envelope.wrap(again, dossier_id=dossier_id,
                                                  producer="processing", dossier_code=CODE),
                 writing=newer)
    rows = await stack.pool.fetch(
        "SELECT causation_event_id, template_version, template_values, subject, body "
        "FROM message ORDER BY template_version")
    assert [r["template_version"] for r in rows] == [1, 2]
    assert rows[0]["causation_event_id"] == first.event_id
    assert "đã kết thúc" not in rows[0]["body"] and "đã kết thúc" in rows[1]["body"]
    for row in rows:  # re-rendered from its own version and values: what it said, exactly
        values = row["template_values"]
        values = json.loads(values) if isinstance(values, str) else values
        again_rendered = templating.render(
            newer.templates.get("withdrawn", row["template_version"]), values)
        assert (again_rendered.subject, again_rendered.email) == (row["subject"], row["body"])
    listed = await stack.http.get("/v1/messages", params={"dossier_code": CODE}, headers=AUTH)
    assert [m["template_version"] for m in listed.json()] == [1, 2]
