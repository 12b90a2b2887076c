"""What notification's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.notification.templating import Templates
from shared.reference.catalog import Catalog, load_catalog
from shared.runtime.effects import Effect
from shared.runtime.outbox import Transactions


@dataclass(frozen=True)
class Writing:
    """How messages are written: the templates (checked at start-up), whether SMS go out in
    Unicode (UCS-2, 70 characters a segment) instead of GSM-7 without diacritics, the
    approver's address of each department (``NOTIFICATION_APPROVER_EMAILS``), and what the
    printed forms attached to emails are filled from."""

    templates: Templates
    unicode_sms: bool = False
    approvers: Mapping[str, str] = field(default_factory=dict)
    catalog: Catalog = field(default_factory=load_catalog)
    """The procedures' catalog, for what the attached forms print (the agency, the
    documents' names)."""
    tracking_url: str | None = None
    """The citizen's tracking page with ``{code}``, printed (and as a QR code) on the
    receipt; None: the receipt prints without it."""


@dataclass(frozen=True)
class NotificationDeps:
    transactions: Transactions
    effects: tuple[Effect, ...]
    writing: Writing
    operator_token: str | None = None
    """The bearer credential of the messages API (personal data); None: the API is closed."""
    report_token: str = ""
    """The secret path token of the SMS delivery-report endpoint (reports are unsigned)."""
