"""The citizen's choice after a failed delivery, through the portal: intake takes it for a
decided postal-return dossier, puts it on the timeline and passes it on as
``RedeliveryRequested``; a malformed choice is a 422, and a dossier with no parcel a 409.
(Intake's real app and database; postal's side is in
tests/integration/postal/test_postal_tracking.py.)"""

from __future__ import annotations

import pytest

from shared.contracts.events import DossierDecided
from tests.integration.intake.support import Intake, registered, told

pytestmark = pytest.mark.integration


async def test_a_redelivery_choice_reaches_postal_as_an_event(intake: Intake) -> None:
    code, dossier_id = await registered(intake)
    early = await intake.send("POST", f"/v1/dossiers/{code}/redelivery", {"choice": "redeliver"})
    assert early.status_code == 409  # nothing decided: no parcel yet

    await told(intake, dossier_id, DossierDecided(
        dossier_code=code, outcome="approved", decided_by="officer.tp",
        return_method="postal"), "processing")
    wrong = await intake.send("POST", f"/v1/dossiers/{code}/redelivery", {"choice": "drone"})
    assert wrong.status_code == 422 and "choice" in wrong.text
    asked = await intake.send("POST", f"/v1/dossiers/{code}/redelivery",
                              {"choice": "collect_at_office"})
    assert asked.status_code == 202, asked.text
    assert asked.json()["choice"] == "collect_at_office"
    events = await intake.events("RedeliveryRequested", code)
    assert [e["payload"]["choice"] for e in events] == ["collect_at_office"]
    view = (await intake.send("GET", f"/v1/dossiers/{code}")).json()
    assert view["timeline"][-1]["description"] == (
        "Công dân chọn cách nhận lại kết quả gửi qua bưu chính")
    assert (await intake.send("POST", f"/v1/dossiers/{code}/redelivery",
                              {"choice": "redeliver"}, portal="portal-b")).status_code == 404
