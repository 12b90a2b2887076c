"""A message's delivery joins the dossier's public timeline, in Vietnamese, without the
recipient: the state is the message's, never mistaken for the dossier's status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.contracts.events import NotificationStatusChanged
from tests.integration.intake.support import Intake, registered, told

pytestmark = pytest.mark.integration


async def test_an_sms_delivered_shows_on_the_tracking_page(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    before = (await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})).json()
    await told(intake, dossier_id, NotificationStatusChanged(
        dossier_code=code, message_id=uuid.uuid4(), channel="sms", template="receipt",
        template_version=1, status="delivered", changed_at=datetime.now(UTC)), "notification")
    public = (await intake.http.get(f"/v1/track/{code}", params={"phone_last4": "5678"})).json()
    assert public["status"] == before["status"]  # "delivered" is the message's, not the dossier's
    last = public["timeline"][-1]
    assert last["description"] == "Cập nhật trạng thái gửi thông báo: tin nhắn SMS đã đến nơi"
    assert last["detail"] == {"channel": "sms", "delivery_status": "delivered"}
