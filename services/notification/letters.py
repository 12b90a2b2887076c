"""The messages the office owes, and when: ``LETTERS`` maps an event to its letters, each a
template id (the text is data, ``templates/<id>/v<N>.toml``), whom it goes to, when it
applies, and the values its placeholders take from the event and the contact. No I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from services.notification.domain import Contact
from services.notification.templating import Value
from shared.contracts.events import (
    DossierAccepted,
    DossierApologyIssued,
    DossierAtRisk,
    DossierDeadlineRecomputed,
    DossierDecided,
    DossierOverdue,
    DossierProcessingStopped,
    DossierRefusedAtIntake,
    DossierWithdrawn,
    Event,
    FeePaymentDue,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
    ShipmentCreated,
    ShipmentStatusChanged,
    SupplementRequested,
)
from shared.forms import FormKey

Audience = Literal["applicant", "approver"]
COMMON = frozenset({"full_name", "dossier_code", "procedure_name"})
"""What every letter knows, from the contact kept at submission."""


@dataclass(frozen=True)
class Letter:
    template: str
    fields: frozenset[str]
    """The placeholders the letter fills besides ``COMMON`` (checked at start-up against
    every version of its template)."""
    values: Callable[[Any, Contact], Mapping[str, Value]]
    applies: Callable[[Any], bool] = lambda event: True
    audience: Audience = "applicant"
    form: FormKey | None = None
    """The printed form the letter's email attaches (``forms``; never an SMS)."""

    @property
    def known(self) -> frozenset[str]:
        return self.fields | COMMON

    def values_of(self, event: Event, contact: Contact) -> dict[str, Value]:
        return {"full_name": contact.full_name, "dossier_code": contact.dossier_code,
                "procedure_name": contact.procedure_name, **self.values(event, contact)}


def vnd(amount: Decimal) -> str:
    return f"{int(amount):,}".replace(",", ".")  # Vietnamese groups thousands with dots


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def _letter(template: str, values: Callable[[Any, Contact], Mapping[str, Value]],
            fields: str = "", **options: Any) -> Letter:
    return Letter(template, frozenset(fields.split()), values, **options)


def _nothing(event: Any, contact: Contact) -> dict[str, Value]:
    return {}


def _status_is(*statuses: str) -> Callable[[Any], bool]:
    return lambda event: event.status in statuses


def _fee_due(event: FeePaymentDue, contact: Contact) -> dict[str, Value]:
    link = event.pay_url or contact.pay_url or ""
    return {"amount": vnd(event.amount), "fee_due_date": day(event.fee_due_date),
            "pay_url": link, "has_link": bool(link), "no_link": not link}


LETTERS: dict[type[Event], tuple[Letter, ...]] = {
    DossierAccepted: (_letter(
        "dossier_accepted", lambda e, c: {"due_date": day(e.due_date), "fee": vnd(e.fee),
                                          "has_fee": e.fee > 0, "no_fee": e.fee <= 0},
        "due_date fee has_fee no_fee", form="receipt"),),
    PaymentRequested: (_letter(
        "fee_payment_link", lambda e, c: {"amount": vnd(e.amount), "pay_url": e.pay_url},
        "amount pay_url", applies=lambda e: e.pay_url is not None),),
    FeePaymentDue: (_letter("fee_payment_due", _fee_due,
                            "amount fee_due_date pay_url has_link no_link"),),
    PaymentFailed: (_letter("fee_payment_failed", lambda e, c: {"amount": vnd(e.amount)},
                            "amount"),),
    SupplementRequested: (_letter(
        "supplement_requested",
        lambda e, c: {"reason": e.reason, "missing": "; ".join(e.missing),
                      "deadline": day(e.deadline)}, "reason missing deadline",
        form="supplement-request"),),
    DossierRefusedAtIntake: (_letter("refused_at_intake", lambda e, c: {"reason": e.reason},
                                     "reason", form="refusal"),),
    DossierDecided: (
        _letter("result_ready", lambda e, c: {"postal": e.return_method == "postal",
                                              "online": e.return_method != "postal"},
                "postal online", applies=lambda e: e.outcome == "approved"),
        _letter("dossier_refused", lambda e, c: {"reason": e.reason or "không nêu"}, "reason",
                applies=lambda e: e.outcome != "approved"),
    ),
    DossierApologyIssued: (_letter(
        "apology_letter",
        lambda e, c: {"reason": e.reason, "previous_due_date": day(e.previous_due_date),
                      "new_due_date": day(e.new_due_date)},
        "reason previous_due_date new_due_date", form="apology"),),
    DossierDeadlineRecomputed: (_letter(
        "due_date_recomputed",
        lambda e, c: {"reason": e.reason, "previous_due_date": day(e.previous_due_date),
                      "new_due_date": day(e.new_due_date)},
        "reason previous_due_date new_due_date",
        applies=lambda e: e.new_due_date != e.previous_due_date),),
    DossierProcessingStopped: (_letter("processing_stopped", lambda e, c: {"reason": e.reason},
                                       "reason"),),
    DossierWithdrawn: (_letter("withdrawn", _nothing),),
    PaymentRefunded: (_letter("fee_refunded", lambda e, c: {"amount": vnd(e.amount)},
                              "amount"),),
    ShipmentCreated: (_letter("result_shipped", lambda e, c: {"tracking_code": e.tracking_code},
                              "tracking_code"),),
    ShipmentStatusChanged: (
        _letter("result_delivered", lambda e, c: {"tracking_code": e.tracking_code},
                "tracking_code", applies=_status_is("delivered")),
        _letter("delivery_failed",
                lambda e, c: {"tracking_code": e.tracking_code, "reason": e.reason or ""},
                "tracking_code reason", applies=_status_is("delivery_fail")),
        _letter("result_returned_to_office", lambda e, c: {"tracking_code": e.tracking_code},
                "tracking_code", applies=_status_is("returned")),
    ),
    DossierAtRisk: (_letter(
        "approver_at_risk",
        lambda e, c: {"due_date": day(e.due_date), "days_left": str(e.working_days_left),
                      "department_code": e.department_code},
        "due_date days_left department_code", audience="approver"),),
    DossierOverdue: (_letter(
        "approver_overdue",
        lambda e, c: {"due_date": day(e.due_date), "department_code": e.department_code},
        "due_date department_code", audience="approver"),),
}


def known_placeholders() -> dict[str, frozenset[str]]:
    """Template id -> the placeholders its letter fills: what the start-up check holds every
    version of every template to."""
    return {letter.template: letter.known for letters in LETTERS.values() for letter in letters}
