"""One dossier through all six services, each its own process, as `make run` starts them."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from confluent_kafka import Consumer, TopicPartition

from deploy.local.config import DEV_OPERATOR_TOKEN
from shared.contracts.events import Envelope
from shared.portal.client import signed_request
from tests.support import wait_until

pytestmark = pytest.mark.e2e
READY = "MOT_CUA_READY "
PDF = b"%PDF-1.4\n% Mot Cua e2e\n"
DEV_PORTAL = ("dev-portal", "dev-portal-secret")  # what the launcher's development mode registers
APPLICANT = {"full_name": "Nguyễn Thị Hoa", "id_number": "092301004567", "phone": "0912345678",
             "email": "hoa@example.vn"}
POSTAL_ADDRESS = {"recipient_name": "Nguyễn Thị Hoa", "phone": "0912345678",
                  "street": "12 Đường 3/2", "ward": "Xã Vĩnh Thạnh",
                  "province": "Thành phố Cần Thơ"}
IN_CLEAR = [*APPLICANT.values(), POSTAL_ADDRESS["street"], "Nguyễn Thị", "Thị Hoa",
            "Đường 3/2"]
"""The applicant's data, none of which any service may log in clear (issue 16)."""


def _signed(method: str, url: str, body: dict | None = None) -> httpx.Request:
    return signed_request(method, url, *DEV_PORTAL, body=body)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, postgres_url: str, kafka_bootstrap: str) -> Iterator[dict]:
    """``python -m deploy.local`` on free ports, on the session's broker and database."""
    data_dir = tmp_path_factory.mktemp("stack")
    env = {**os.environ, "DATABASE_URL": postgres_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
           "SANDBOX_CARRIER_STEP_S": "2"}  # the parcel is delivered ~12 s after it is created
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.local", "--ports-from", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True,
    )
    info = None
    output: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:  # ends when the launcher exits (then info stays None)
        output.append(line)
        if line.startswith(READY):
            info = json.loads(line[len(READY):])
            break
    if info is None:
        process.wait(10)
        pytest.fail("the stack did not become ready:\n" + "".join(output[-60:]))
    descendants = psutil.Process(process.pid).children(recursive=True)
    try:
        yield info
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, "".join(output) + rest
        # Every line the launcher and every service logged, start to stop (the sandbox plays
        # the outside providers, as the SMTP sink plays the mail server: theirs, not ours).
        logs = "".join(output) + rest + "".join(
            path.read_text("utf-8", "replace") for path in sorted((data_dir / "log").glob("*.log"))
            if path.stem not in {"sandbox", "smtp-sink", "tansu", "postgres"})
        leaked = [v for v in IN_CLEAR if v in logs]
        assert not leaked, f"personal data in the logs: {leaked}: " + "".join(
            line for line in logs.splitlines(keepends=True) if any(v in line for v in leaked))
        _, alive = psutil.wait_procs(descendants, timeout=10)
        # pid 1 here does not reap orphans: a zombie has exited, only a live one is an orphan
        running = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not running, f"orphan processes left behind: {running}"


def _procedure_with_fee_and_postal_return(intake: str) -> dict:
    procedures = httpx.get(f"{intake}/v1/procedures").json()
    return next(p for p in procedures if p["fee"] > 0 and p["postal_return"])


def _documents_for(procedure: dict) -> list[dict]:
    return [
        {"kind": d["kind"], "filename": f"{d['kind']}.pdf",
         "content_type": "application/pdf" if "application/pdf" in d["accepted_types"]
         else d["accepted_types"][0],
         "content_base64": base64.b64encode(PDF).decode()}
        for d in procedure["required_documents"] if d["mandatory"]
    ]


def _payment_link(mail_dir: Path, code: str) -> str | None:
    """The link in the payment email of dossier ``code``, once it has arrived."""
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["Subject"] == f"Thanh toán phí, lệ phí hồ sơ {code}":
            found = re.search(r"https?://\S+/v1/pay/\S+", message.get_content())
            return found.group(0) if found else None
    return None


def _read_topic(bootstrap: str, topic: str, key: bytes, count: int) -> list[Envelope]:
    """An independent (librdkafka) client reads the topic until it has seen ``count`` events
    of one dossier. (Tansu reports wrong high watermarks for multi-record batches, so
    "read to the end" is not available.)"""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"e2e-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        consumer.assign([TopicPartition(topic, p, 0) for p in metadata.topics[topic].partitions])
        found: list[Envelope] = []
        while len(found) < count:
            message = consumer.poll(10)
            assert message is not None, f"{topic}: only {found} after 10 s without a message"
            assert message.error() is None, message.error()
            if message.key() == key:
                found.append(Envelope.model_validate_json(message.value()))
        return found
    finally:
        consumer.close()


async def _sign_in(http: httpx.AsyncClient, processing: str, department: str, role: str
                   ) -> dict[str, str]:
    granted = await http.post(f"{processing}/v1/auth/token", json={
        "username": f"{department}.{role}", "password": "dev-password"})
    assert granted.status_code == 200, granted.text
    return {"Authorization": f"Bearer {granted.json()['access_token']}"}


async def _act(http: httpx.AsyncClient, case_url: str, officer: dict[str, str], action: dict
               ) -> dict:
    done = await http.post(f"{case_url}/actions", json=action, headers=officer)
    assert done.status_code == 200, done.text
    return done.json()


async def test_a_dossier_with_a_fee_and_postal_return_goes_from_submission_to_result(
    stack: dict,
) -> None:
    intake, processing = stack["services"]["intake"], stack["services"]["processing"]
    procedure = _procedure_with_fee_and_postal_return(intake)
    submission = {
        "portal_submission_id": str(uuid.uuid4()),
        "procedure_code": procedure["code"],
        "applicant": dict(APPLICANT),
        "return_method": "postal", "postal_address": POSTAL_ADDRESS,
        "documents": _documents_for(procedure),
    }
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.send(_signed("POST", f"{intake}/v1/dossiers", submission))
        assert created.status_code == 201, created.text
        receipt = created.json()
        code = receipt["dossier_code"]
        assert code.split("-")[0].isupper() and len(code.split("-")[1]) == 6

        replay = await http.send(_signed("POST", f"{intake}/v1/dossiers", submission))
        assert replay.status_code == 200 and replay.json()["dossier_code"] == code

        # The department's development officers (make run seeds <dept>.<role>).
        officer = {role: await _sign_in(http, processing, procedure["department_code"], role)
                   for role in ("intake", "specialist", "approver")}
        case_url = f"{processing}/v1/dossiers/{code}"
        assert (await http.get(case_url)).status_code == 401

        async def case_status() -> str | None:
            case = await http.get(case_url, headers=officer["intake"])
            return case.json()["status"] if case.status_code == 200 else None

        routed = await wait_until(case_status, timeout=60, description="routed to processing")
        accepted_at_intake = routed == "registered"  # the procedure has no automatic receipt
        if accepted_at_intake:
            await _act(http, case_url, officer["intake"], {"action": "accept"})

        # The citizen pays as a citizen does: the link in the email, the bank page, the button.
        link = await wait_until(lambda: _payment_link(Path(stack["smtp"]["maildir"]), code),
                                timeout=60, description="the payment link arrives by email")
        bank = await http.get(link, follow_redirects=True)
        assert bank.status_code == 200 and "Cổng thanh toán" in bank.text, bank.text
        txn_ref = re.search(r'name="vnp_TxnRef" value="([^"]+)"', bank.text)
        assert txn_ref is not None
        returned = await http.post(str(bank.url.join("bank")), follow_redirects=True,
                                   data={"vnp_TxnRef": txn_ref.group(1), "choice": "00"})
        assert returned.status_code == 200 and "Thanh toán thành công" in returned.text

        async def fee_paid() -> bool:
            return await case_status() == "accepted"

        await wait_until(fee_paid, timeout=60, description="the fee is paid")
        await _act(http, case_url, officer["specialist"], {"action": "start"})
        await _act(http, case_url, officer["specialist"],
                   {"action": "propose", "proposed_outcome": "approved"})
        approval = {"action": "approve", "result_document": {
            "filename": "ket-qua.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(PDF).decode()}}
        decided = await _act(http, case_url, officer["approver"], approval)
        assert decided["status"] == "decided" and decided["sla_result"] == "early"
        again = await http.post(f"{case_url}/actions", json=approval,
                                headers=officer["approver"])
        assert again.status_code == 409 and again.json()["status"] == "decided"

        async def final() -> bool:
            view = (await http.send(_signed("GET", f"{intake}/v1/dossiers/{code}"))).json()
            return view["status"] == "result_returned"

        await wait_until(final, timeout=60, description="the result is returned by post")
        view = (await http.send(_signed("GET", f"{intake}/v1/dossiers/{code}"))).json()
        tracked = await http.get(f"{intake}/v1/track/{code}",  # the citizen's view, unsigned
                                 params={"phone_last4": "5678"})

    assert view["status_label"] == "Đã trả kết quả"
    assert tracked.json()["status_label"] == "Đã trả kết quả"
    public = json.dumps(tracked.json(), ensure_ascii=False)
    for personal in ("Nguyễn Thị Hoa", "092301004567", "0912345678", "hoa@example.vn",
                     "Đường 3/2"):
        assert personal not in public
    timeline = [entry["event_type"] for entry in view["timeline"]]
    for expected in ("DossierSubmitted", "DossierAccepted", "PaymentRequested",
                     "PaymentCompleted", "DossierProcessingStarted", "DossierDecided",
                     "ShipmentCreated", "ShipmentStatusChanged", "DossierResultReturned"):
        assert expected in timeline, f"{expected} missing from {timeline}"
    # Messages' delivery joins the timeline too, and may come after the result's return.
    lifecycle = [t for t in timeline if not t.startswith("Notification")]
    assert lifecycle[0] == "DossierSubmitted" and lifecycle[-1] == "DossierResultReturned"
    parcel = [e["detail"].get("status_label_vi") for e in tracked.json()["timeline"]
              if e["description"] == "Cập nhật trạng thái bưu gửi"]
    assert parcel[-1] == "Đã giao bưu gửi thành công", parcel  # the citizen sees the parcel

    mail_dir = Path(stack["smtp"]["maildir"])

    def emails() -> list[email.message.EmailMessage]:
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                    for p in sorted(mail_dir.glob("*.eml"))]
        return [m for m in messages if code in m["Subject"]]

    owed = {f"Hồ sơ {code} đã có kết quả", f"Hồ sơ {code} đã được tiếp nhận",
            f"Thanh toán phí, lệ phí hồ sơ {code}",
            f"Kết quả hồ sơ {code} đã được gửi qua bưu điện"}
    await wait_until(lambda: owed <= {m["Subject"] for m in emails()}, timeout=30,
                     description="the emails the office owes")
    assert all(m["To"] == "hoa@example.vn" for m in emails())

    # Every message, email and SMS, reaches delivered: the SMS when the gateway's delivery
    # report comes (the sandbox sends it seconds after accepting the SMS).
    notification = stack["services"]["notification"]
    operator = {"Authorization": f"Bearer {DEV_OPERATOR_TOKEN}"}

    async def messages() -> list[dict] | None:
        async with httpx.AsyncClient(timeout=10) as http:
            listed = await http.get(f"{notification}/v1/messages",
                                    params={"dossier_code": code}, headers=operator)
        assert listed.status_code == 200, listed.text
        found = listed.json()
        templates = {(m["template_id"], m["channel"]) for m in found}
        owed_templates = {"dossier_accepted", "fee_payment_link", "result_ready",
                          "result_shipped"}
        complete = {(t, c) for t in owed_templates for c in ("email", "sms")} <= templates
        done = complete and all(m["status"] == "delivered" for m in found)
        return found if done else None

    sent = await wait_until(messages, timeout=60, description="every message delivered")
    sms = [m for m in sent if m["channel"] == "sms"]
    assert all(m["recipient"] == "0912345678" and m["body"].isascii() for m in sms)
    assert all([h["status"] for h in m["history"]] == ["created", "sending", "delivered"]
               for m in sms)

    bootstrap = stack["kafka_bootstrap_servers"]
    key = str(view["dossier_id"]).encode()
    lifecycle = [e.event_type for e in _read_topic(bootstrap, "dossier.events", key, 7)]
    assert lifecycle == ["DossierSubmitted", "DossierAccepted", "DossierProcessingResumed",
                         "DossierProcessingStarted", "DossierDecisionProposed",
                         "DossierDecided", "DossierResultReturned"]
    received = [("WorkItemQueued", "registered"), ("WorkItemStatusChanged", "awaiting_fee")] \
        if accepted_at_intake else [("WorkItemQueued", "awaiting_fee")]
    expected_work = [*received, *(("WorkItemStatusChanged", s) for s in (
        "accepted", "in_progress", "in_progress", "decided", "result_returned"))]
    work = _read_topic(bootstrap, f"department.{procedure['department_code']}.work", key,
                       len(expected_work))
    assert [(e.event_type, e.payload["status"]) for e in work] == expected_work
    assert [e.event_type for e in _read_topic(bootstrap, "payment.events", key, 2)] == [
        "PaymentRequested", "PaymentCompleted"]
    # The parcel's states came by the carrier's webhooks, each confirmed by its detail; the
    # result was returned with the delivery, and who signed for it.
    postal = _read_topic(bootstrap, "postal.events", key, 8)
    assert [e.event_type for e in postal] == ["PostageQuoted", "ShipmentCreated",
                                              *["ShipmentStatusChanged"] * 6]
    assert postal[0].payload["source"] == "carrier"
    moves = [e.payload for e in postal[2:]]
    assert moves[-1]["status"] == "delivered"
    assert moves[-1]["recipient_name"] == "Nguyễn Thị Hoa"
    assert [m["changed_at"] for m in moves] == sorted(m["changed_at"] for m in moves)
    returned = next(e for e in _read_topic(bootstrap, "dossier.events", key, 7)
                    if e.event_type == "DossierResultReturned")
    assert returned.payload["received_by"] == "Nguyễn Thị Hoa"
    # Per email: NotificationSent and delivered; per SMS: NotificationSent, sending, delivered.
    expected = sum(2 if m["channel"] == "email" else 3 for m in sent)
    notified = _read_topic(bootstrap, "notification.events", key, expected)
    changes = [e.payload for e in notified if e.event_type == "NotificationStatusChanged"]
    assert sorted((c["channel"], c["status"]) for c in changes if c["template"] ==
                  "result_shipped") == [("email", "delivered"), ("sms", "delivered"),
                                        ("sms", "sending")]
    assert all("hoa@example.vn" not in json.dumps(e.payload) for e in notified)
    assert all("0912345678" not in json.dumps(e.payload) for e in notified)

    # Reporting (issue 14) counted it from the events alone.
    reporting = stack["services"]["reporting"]
    async with httpx.AsyncClient(timeout=10) as http:
        async def counted() -> dict | None:
            answer = await http.get(f"{reporting}/v1/indicators",
                                    params={"procedure": procedure["code"]})
            total = answer.json()["total"]
            return total if total["resolved"] >= 1 else None

        total = await wait_until(counted, timeout=30, description="reporting counted it")
        assert total["received"] >= 1 and total["postal_return_rate"] is not None
        assert (await http.get(f"{reporting}/")).status_code == 200
