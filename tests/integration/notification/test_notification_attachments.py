"""The email that announces a printed form carries it as a PDF (issue 13): the receipt and
appointment with the acceptance, the supplement request, the refusal and the apology, each of
the set in force on the dossier's date, through a real SMTP server; an SMS never carries one;
a resend carries the same bytes under the same Message-ID; NOTIFICATION_ATTACH_FORMS off sends
the email alone."""

from __future__ import annotations

import email
import email.policy
import io
import re
import unicodedata
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from pypdf import PdfReader

from deploy.local.smtp_sink import SmtpSink
from services.notification import effects
from services.notification.adapters.mailer import Attachment, Mailer
from services.notification.settings import NotificationSettings
from shared.contracts.events import (
    Applicant,
    DocumentRef,
    DossierAccepted,
    DossierApologyIssued,
    DossierRefusedAtIntake,
    DossierStatus,
    DossierSubmitted,
    Envelope,
    Event,
    SubmittedBy,
    SupplementRequested,
)
from shared.forms import form_sets
from shared.runtime.effects import Retry, run_once
from shared.runtime.outbox import Transactions
from tests.integration.notification.support import drain, handle, tell
from tests.support import free_port

pytestmark = pytest.mark.integration
SENDER = "Một Cửa <no-reply@motcua.local>"
PROCEDURE = "2.002189"


@pytest.fixture
def sink(tmp_path: Path):
    with SmtpSink(tmp_path / "mail", free_port()) as running:
        yield running


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, NFC, every run of white space one space (as tests/unit/test_forms.py)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text))


async def submit(pool, code: str, received_at: datetime) -> uuid.UUID:
    """A submission by a helper, with two documents, to be told by email and SMS."""
    dossier_id = uuid.uuid4()
    submitted = DossierSubmitted(
        dossier_code=code, portal="p", portal_submission_id=str(dossier_id), agency_code="VTH",
        procedure_code=PROCEDURE, procedure_name="Ghi vào Sổ hộ tịch việc kết hôn",
        department_code="tp", catalog_version="vinh-thanh-2024.2",
        applicant=Applicant(full_name="Trần Văn Bình", id_number="092301004567",
                            phone="0912345678", email="binh@example.vn",
                            channels=("email", "sms")),
        return_method="postal", fee=Decimal(0), committed_days=12,
        documents=tuple(DocumentRef(kind=kind, filename=f"{kind}.pdf",
                                    content_type="application/pdf", size=10, sha256="0" * 64)
                        for kind in ("to_khai", "giay_to_ket_hon")),
        received_at=received_at, due_date=received_at.date() + timedelta(days=18),
        submitted_by=SubmittedBy(kind="helper", name="Lê Thị Hoa"), statutory_days=12)
    await handle(pool, submitted, Envelope.wrap(submitted, dossier_id=dossier_id,
                                                producer="intake"))
    return dossier_id


def announcements(code: str, due: date) -> dict[str, Event]:
    """Form key -> the event whose email announces it."""
    return {
        "receipt": DossierAccepted(dossier_code=code, department_code="tp", fee=Decimal(0),
                                   due_date=due, return_method="postal",
                                   status=DossierStatus.ACCEPTED),
        "supplement-request": SupplementRequested(
            dossier_code=code, missing=("to_khai",), reason="Tờ khai chưa có chữ ký",
            deadline=due + timedelta(days=10)),
        "refusal": DossierRefusedAtIntake(dossier_code=code, reason="Hồ sơ không thuộc thẩm "
                                          "quyền giải quyết", actor_role="intake_officer"),
        "apology": DossierApologyIssued(
            dossier_code=code, procedure_name="Ghi vào Sổ hộ tịch việc kết hôn",
            department_code="tp", reason="Cần xác minh với cơ quan nước ngoài",
            previous_due_date=due, new_due_date=due + timedelta(days=7),
            original_due_date=due, issued_on=due, actor_role="approver"),
    }


def received(sink: SmtpSink) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(sink.messages())]


def pdfs(message: EmailMessage) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in message.iter_attachments()]


async def send(pool, mailer: Mailer, *, attach: bool = True) -> int:
    return await drain(pool, effects.emails(mailer, Retry(max_attempts=3), attach_forms=attach))


@pytest.mark.parametrize("received_at", [datetime(2025, 1, 23, 3, tzinfo=UTC),
                                         datetime(2025, 9, 4, 2, 30, tzinfo=UTC)],
                         ids=["tt01-2018", "tt03-2025"])
async def test_each_announcing_email_carries_its_form_as_pdf(pool, sink,
                                                             received_at: datetime) -> None:
    code = f"VTH-{received_at:%y%m%d}-0101"
    dossier_id = await submit(pool, code, received_at)
    form_set = form_sets().in_force(received_at)
    events = announcements(code, received_at.date() + timedelta(days=18))
    subjects = {}
    for key, event in events.items():
        envelope = await tell(pool, dossier_id, code, event)
        subjects[key] = await pool.fetchval(
            "SELECT subject FROM message WHERE causation_event_id = $1 AND channel = 'email'",
            envelope.event_id)

    assert await send(pool, Mailer(host="127.0.0.1", port=sink.port, sender=SENDER)) == 4
    by_subject = {m["Subject"]: m for m in received(sink)}
    assert set(by_subject) == set(subjects.values())
    for key, subject in subjects.items():
        form = form_set.form(key)
        message = by_subject[subject]
        assert message.get_content_type() == "multipart/mixed"
        assert "Trần Văn Bình" in message.get_body(("plain",)).get_content()
        ((filename, pdf),) = pdfs(message)
        assert filename == f"mau-{form.number}-{code}.pdf"
        assert pdf.startswith(b"%PDF-")
        text = pdf_text(pdf)
        assert form.title.upper() in text, (form_set.id, key)
        assert code in text
        assert "Ủy ban nhân dân huyện Vĩnh Thạnh".upper() in text  # the catalog's agency
    receipt = pdf_text(pdfs(by_subject[subjects["receipt"]])[0][1])
    for printed in ("Lê Thị Hoa", "Tờ khai ghi chú kết hôn", "Qua dịch vụ bưu chính công ích",
                    "TP/2025"):  # helper, document name (catalog), return method, book
        assert printed in receipt
    supplement = pdf_text(pdfs(by_subject[subjects["supplement-request"]])[0][1])
    assert "Tờ khai chưa có chữ ký" in supplement and "Tờ khai ghi chú kết hôn" in supplement

    # An SMS never carries a form: only the emails hold one.
    rows = await pool.fetch("SELECT channel, template_id, attachment IS NOT NULL AS has "
                            "FROM message WHERE dossier_code = $1", code)
    assert {(r["channel"], r["has"]) for r in rows} == {("email", True), ("sms", False)}
    assert sum(r["channel"] == "sms" for r in rows) == 4


class _AnswerLost(Mailer):
    """The server took the email, then the connection died before we heard its 250."""

    lost = 0

    async def send(self, **email) -> None:  # type: ignore[no-untyped-def]
        await super().send(**email)
        if not self.lost:
            self.lost += 1
            raise ConnectionResetError("connection lost after DATA")


async def test_a_resend_carries_the_same_pdf_under_the_same_message_id(pool, sink) -> None:
    code = "VTH-250123-0102"
    dossier_id = await submit(pool, code, datetime(2025, 1, 23, 3, tzinfo=UTC))
    await tell(pool, dossier_id, code, announcements(code, date(2025, 2, 10))["apology"])
    effect = effects.emails(_AnswerLost(host="127.0.0.1", port=sink.port, sender=SENDER),
                            Retry(max_attempts=3), attach_forms=True)
    transactions = Transactions(pool, "notification")
    assert await run_once(effect, transactions) == 1  # sent, answer lost: retried later
    assert await run_once(effect, transactions,
                          now=lambda: datetime.now(UTC) + timedelta(hours=1)) == 1
    first, again = received(sink)
    assert first["Message-ID"] == again["Message-ID"]
    assert pdfs(first) == pdfs(again)
    assert await pool.fetchval("SELECT delivery_status FROM message WHERE dossier_code = $1 "
                               "AND channel = 'email'", code) == "delivered"


async def test_attaching_off_sends_the_email_alone(pool, sink, monkeypatch) -> None:
    monkeypatch.setenv("NOTIFICATION_ATTACH_FORMS", "false")
    assert NotificationSettings().attach_forms is False
    monkeypatch.delenv("NOTIFICATION_ATTACH_FORMS")
    assert NotificationSettings().attach_forms is True  # on unless an operator says

    code = "VTH-250123-0103"
    dossier_id = await submit(pool, code, datetime(2025, 1, 23, 3, tzinfo=UTC))
    await tell(pool, dossier_id, code, announcements(code, date(2025, 2, 10))["receipt"])
    mailer = Mailer(host="127.0.0.1", port=sink.port, sender=SENDER)
    assert await send(pool, mailer, attach=False) == 1
    (message,) = received(sink)
    assert message.get_content_type() == "text/plain"
    assert pdfs(message) == []
    assert "đã được tiếp nhận" in message.get_content()


async def test_an_attachment_name_that_would_inject_a_header_is_refused(sink) -> None:
    mailer = Mailer(host="127.0.0.1", port=sink.port, sender=SENDER)
    bad = Attachment("mau-01.pdf\r\nBcc: x@example.vn", b"%PDF-1.7")
    with pytest.raises(ValueError, match="attachment name"):
        await mailer.send(message_id=str(uuid.uuid4()), to="binh@example.vn", subject="s",
                          body="b", attachments=[bad])
    assert sink.messages() == []
