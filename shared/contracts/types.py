"""The literal types every service shares, each defined once (events, catalog, services)."""

from __future__ import annotations

from typing import Literal

ReturnMethod = Literal["online", "postal"]
"""How the citizen receives the result: online, or by the public postal service."""
Outcome = Literal["approved", "refused"]
"""What a dossier's decision was."""
SlaState = Literal["on_track", "at_risk", "overdue", "paused"]
"""Where a dossier stands against its committed date (paused: the clock is stopped)."""
SlaResult = Literal["early", "on_time", "late"]
"""How a decided dossier met its committed date."""
EndCause = Literal["withdrawn", "refused_at_intake", "stopped"]
"""Why a dossier ended without a result (and what decides whether its fee is refunded)."""
NotificationChannel = Literal["email", "sms"]
