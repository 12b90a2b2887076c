"""Notification's rules, no I/O: who the citizen is to the letters, what a letter is, and
the one email of each (event, letter)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Contact:
    """How to address the applicant, kept from the submission."""

    dossier_code: str
    full_name: str
    email: str
    procedure_name: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@dataclass(frozen=True)
class Letter:
    """A letter the office owes the citizen: its template's name (kept with the email and in
    NotificationSent) and how to write it from the event and the contact."""

    template: str
    render: Callable[[Any, Contact], Rendered]
    applies: Callable[[Any], bool] = lambda event: True
    """Whether this event calls for the letter at all (a payment link only when it has one)."""


def email_id_of(event_id: uuid.UUID, template: str) -> uuid.UUID:
    """One email per (event, letter), stable: a redelivered event queues nothing new, and a
    resent email carries the same Message-ID."""
    return uuid.uuid5(event_id, template)
