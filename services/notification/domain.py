"""Notification's rules, no I/O: who the applicant is to the messages, which channels they
chose, one message per (event, letter, channel, recipient), and what providers' answers mean
in GOV.UK Notify's statuses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from shared.contracts.types import MessageStatus, NotificationChannel

CHANNELS: tuple[NotificationChannel, ...] = ("email", "sms")


@dataclass(frozen=True)
class Contact:
    """How to address the applicant, kept from the submission (and the fee's payment link,
    kept from PaymentRequested for the reminder that may lack it)."""

    dossier_code: str
    full_name: str
    email: str
    procedure_name: str
    phone: str = ""
    channels: tuple[NotificationChannel, ...] | None = None
    pay_url: str | None = None
    submission: Mapping[str, Any] | None = None
    """What the submission said that the attached forms print (``forms.Submission`` as
    JSON); None for a dossier submitted before issue 13."""

    def chosen_channels(self) -> tuple[NotificationChannel, ...]:
        """The channels the applicant chose, else every channel with an address (both, as a
        submission always gives an email and a phone)."""
        reachable = tuple(c for c in CHANNELS if (self.email if c == "email" else self.phone))
        if self.channels is None:
            return reachable
        return tuple(c for c in CHANNELS if c in self.channels and c in reachable)

    def address(self, channel: NotificationChannel) -> str:
        return self.email if channel == "email" else self.phone


def message_id_of(event_id: uuid.UUID, template: str, channel: NotificationChannel,
                  recipient: str | None = None) -> uuid.UUID:
    """One message per (event, letter, channel[, recipient]), stable: a redelivered event
    queues nothing new, and a resend carries the same Message-ID or RequestId. The applicant's
    email keeps the id emails had before SMS existed."""
    name = template if channel == "email" else f"{template}/{channel}"
    return uuid.uuid5(event_id, name if recipient is None else f"{name}/{recipient}")


# --- What providers' answers mean.

Kind = Literal["accepted", "permanent", "temporary", "technical"]
FINAL: frozenset[MessageStatus] = frozenset(
    {"delivered", "permanent-failure", "temporary-failure", "technical-failure"})

ESMS_CODES: dict[str, tuple[Kind, str]] = {
    "100": ("accepted", "accepted by the gateway"),
    "124": ("accepted", "RequestId already accepted (a resend)"),
    "99": ("permanent", "phone number blocked"),
    "108": ("permanent", "phone number not in a correct format"),
    "177": ("permanent", "the recipient's network is not registered"),
    "101": ("technical", "wrong ApiKey or SecretKey"),
    "102": ("technical", "no price list"),
    "104": ("technical", "brandname not registered"),
    "118": ("technical", "SMS type not supported"),
    "140": ("technical", "our IP is not whitelisted"),
    "146": ("technical", "customer-care template not registered"),
    "103": ("temporary", "balance too low"),
}
"""eSMS CodeResult -> what it means for the message. Permanent: this recipient cannot get it.
Technical: our account or set-up is wrong; asking again cannot help until an operator fixes
it, so it is not retried. Temporary: retried (a balance gets topped up). An unknown code is
temporary, named in the reason."""

ESMS_SEND_STATUS: dict[str, MessageStatus] = {"5": "delivered", "4": "permanent-failure"}
"""A delivery report's SendStatus -> the message's status; any other (2 waiting, 1 pending)
leaves it ``sending``."""


def esms_report(send_status: str) -> tuple[MessageStatus, str] | None:
    """What a SendStatus does to the SMS (the status it moves to, and the detail kept with
    it), whether a delivery report or the status query (GetSendStatus) said it; None: it
    stays ``sending``."""
    status = ESMS_SEND_STATUS.get(send_status)
    return None if status is None else (status, f"SendStatus {send_status}")


def esms_code(code: str) -> tuple[Kind, str]:
    return ESMS_CODES.get(code, ("temporary", f"unknown CodeResult {code}"))


def smtp_kind(code: int) -> Kind:
    """An SMTP reply's class: 5xx refuses for good, 4xx for now."""
    return "permanent" if 500 <= code < 600 else "temporary"


def failure_status(kind: Kind) -> MessageStatus:
    return {"permanent": "permanent-failure", "temporary": "temporary-failure"}.get(
        kind, "technical-failure")  # type: ignore[return-value]
