"""What intake's use cases need, assembled once by the composition root (bootstrap.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from services.intake.adapters.documents import DocumentStore
from services.intake.adapters.receipts import Receipts
from services.intake.api.body import UploadSlots
from services.intake.api.limiter import TrackingLimiter
from services.intake.validation import Limits
from shared.portal.auth import PortalKeys
from shared.reference.calendar import CalendarWatch
from shared.reference.catalog import Catalog
from shared.reference.workdays import WorkingCalendar
from shared.runtime.officer_tokens import TokenService
from shared.runtime.outbox import Transactions


@dataclass(frozen=True)
class IntakeDeps:
    pool: asyncpg.Pool
    catalog: Catalog
    calendar: WorkingCalendar
    documents: DocumentStore
    limits: Limits
    transactions: Transactions
    portal_keys: PortalKeys
    tracking_limiter: TrackingLimiter
    receipts: Receipts
    clock_skew_s: int = 300
    record_max_age_s: int = 86_400
    portal_daily_quota_bytes: int = 20 * 1024**3
    staged_document_grace_s: int = 3600
    sweep_interval_s: float = 300
    uploads: UploadSlots = field(default_factory=lambda: UploadSlots(4, 1024 * 1024))
    max_json_body_bytes: int = 16 * 1024 * 1024
    calendar_watch: CalendarWatch | None = None  # the warning before unconfirmed days
    public_url: str = "http://127.0.0.1:8001"
    """Where citizens reach intake's pages: the receipt's QR code links there."""
    officer_tokens: TokenService | None = None
    """Processing's officers' tokens, verified (their signature and expiry) for the officers'
    verify of a timeline; None when intake was not given the key."""
