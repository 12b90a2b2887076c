"""What the simulated portals submit: realistic dossiers, each with small real PDF documents.

About half carry a fee and a fifth choose postal return, as the issue describes a national day.
Every applicant gives a mobile number and chooses both channels (email and SMS).
Procedures without automatic receipt are drawn too: the simulated intake officer accepts them.
"""

from __future__ import annotations

import base64
from typing import Any

PDF_TEMPLATE = (
    "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
    "4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 72 770 Td ({text}) Tj ET\nendstream endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf(text: str) -> bytes:
    """A one-page PDF whose content differs per dossier, as citizens' scans do."""
    return PDF_TEMPLATE.format(text=text).encode()


def mobile(n: int) -> str:
    """A Vietnamese mobile number per submission, ending in 5: the SMS sandbox's scenarios
    (refusals, rejected or never-reported texts) are numbers ending 0002, 0004, 0099, 0103,
    0104, 0108 or 0146, which the bench's citizens must not hit by chance."""
    return f"09{n % 10**7:07d}5"


class SubmissionFactory:
    """Builds the ``n``-th submission of a portal from the catalog intake publishes."""

    def __init__(self, procedures: list[dict[str, Any]], tag: str) -> None:
        self.with_fee = [p for p in procedures if p["fee"] > 0 and p["postal_return"]]
        self.free = [p for p in procedures if p["fee"] == 0 and p["postal_return"]]
        if not self.with_fee or not self.free:
            raise RuntimeError("the catalog needs procedures with and without a fee that "
                               "offer postal return")
        self.tag = tag  # the scenario: submission ids are "<tag>-<n>"

    def submission(self, n: int) -> dict[str, Any]:
        group = self.with_fee if n % 2 == 0 else self.free
        procedure = group[(n // 2) % len(group)]
        postal = (n // 2) % 5 == 0  # a fifth, among dossiers with and without a fee
        submission_id = f"{self.tag}-{n:07d}"
        phone = mobile(n)
        content = base64.b64encode(pdf(submission_id)).decode()
        return {
            "portal_submission_id": submission_id,
            "procedure_code": procedure["code"],
            "applicant": {
                "full_name": "Nguyễn Văn Bình",
                "id_number": f"0923{n % 10**8:08d}",
                "phone": phone,
                "email": f"cong.dan.{n}@example.vn",
                "channels": ["email", "sms"],  # the applicant agrees to be told by SMS too
            },
            "return_method": "postal" if postal else "online",
            "postal_address": {"recipient_name": "Nguyễn Văn Bình",
                               "phone": phone, "street": "12 Đường 3/2",
                               "ward": "Thị trấn Thạnh An", "province": "Thành phố Cần Thơ"}
            if postal else None,
            "documents": [
                {"kind": d["kind"], "filename": f"{d['kind']}.pdf",
                 "content_type": "application/pdf", "content_base64": content}
                for d in procedure["required_documents"] if d["mandatory"]
            ],
        }
