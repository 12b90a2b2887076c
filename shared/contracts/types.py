"""The types every service shares, each defined once (events, catalog, services): literals,
and the constrained strings and dates that every input from outside is made of."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, StringConstraints

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
ShipmentStatus = Literal[
    "ready_to_pick", "picking", "picked",
    "storing", "sorting", "transporting",
    "delivering", "delivered", "delivery_fail",
    "waiting_to_return", "return", "returning", "returned", "return_fail",
    "cancel", "exception", "damage", "lost",
]
"""A parcel's state, in the carrier's (GHN v2) vocabulary; other carriers map onto it."""
MessageStatus = Literal["created", "sending", "delivered", "permanent-failure",
                        "temporary-failure", "technical-failure"]
"""A message's delivery state, in GOV.UK Notify's vocabulary (email and SMS alike)."""
Rating = Literal["very_satisfied", "satisfied", "unsatisfied"]
"""The citizen's satisfaction: Rất hài lòng / Hài lòng / Không hài lòng (QĐ 766)."""


# --- Text from outside (portals, citizens, officers): one definition of what a string may hold.

_ANY_LINE_BREAK = "\t\n\r"
_NEVER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls (Unicode category Cc)...
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\ud800-\udfff]"  # lone surrogates: no UTF-8 for them, PostgreSQL and JSON encoders choke
)
_NOT_ON_ONE_LINE = re.compile(f"[{_ANY_LINE_BREAK}]")


def _printable(multiline: bool) -> Callable[[str], str]:
    def check(value: str) -> str:
        found = _NEVER.search(value) or (None if multiline else _NOT_ON_ONE_LINE.search(value))
        if found:
            raise ValueError(
                f"must not contain U+{ord(found.group()):04X} (position {found.start()}): no "
                + ("control characters" if multiline else "control characters, tabs, line breaks")
                + ", bidirectional overrides or lone surrogates")
        return unicodedata.normalize("NFC", value)

    return check


def bounded_text(max_length: int, *, min_length: int = 0, multiline: bool = False,
                 strip: bool = False) -> Any:
    """A string from outside, at most ``max_length`` characters, NFC-normalised (Vietnamese
    arrives composed or decomposed), without control characters (tab, LF and CR only where
    ``multiline``), bidi overrides (they disguise a name: ``gpj.exe`` shown as ``exe.jpg``) or
    lone surrogates. The length is checked first, so a huge value is refused unread; with
    ``strip``, after surrounding whitespace is removed (a reason of blanks is no reason)."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length,
                                            strip_whitespace=strip),
                     AfterValidator(_printable(multiline))]


Line = bounded_text(200)
"""One line of text: a name, an organisation, an identifier."""
Text = bounded_text(1000, multiline=True)
"""Free text on several lines: a reason, a note, an address."""

DOSSIER_CODE_PATTERN = r"^[A-Z][A-Z0-9]{1,9}-[0-9]{6}-[0-9]{4,10}$"
DossierCode = Annotated[str, StringConstraints(pattern=DOSSIER_CODE_PATTERN, max_length=28)]
"""``{agency}-{yyMMdd}-{NNNN}`` (the catalog's agency code; the number grows past 9999)."""

EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)
"""The dates the system reasons about (the working-day calendar's years); any other is an
input error, never a computation that overflows."""
