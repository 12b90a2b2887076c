"""Topic names. Every event of a dossier is keyed by its dossier id."""

from __future__ import annotations

PORTAL_SUBMISSIONS = "portal.submissions"
DOSSIER_EVENTS = "dossier.events"
PAYMENT_EVENTS = "payment.events"
POSTAL_EVENTS = "postal.events"
NOTIFICATION_EVENTS = "notification.events"

DLQ_SUFFIX = ".dlq"


def department_work(department_code: str) -> str:
    return f"department.{department_code}.work"


def dead_letter(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def with_dead_letters(topics: list[str] | tuple[str, ...]) -> list[str]:
    """The topics and their dead-letter topics, each once, in a stable order."""
    names = [t for t in topics if not t.endswith(DLQ_SUFFIX)]
    return sorted({*names, *(dead_letter(t) for t in names)})


def portal_receipts(portal_id: str) -> str:
    """Each portal reads the outcome of its own Kafka submissions here, and only here."""
    return f"portal.{portal_id}.receipts"


CORE_TOPICS = (
    PORTAL_SUBMISSIONS,
    DOSSIER_EVENTS,
    PAYMENT_EVENTS,
    POSTAL_EVENTS,
    NOTIFICATION_EVENTS,
)


def system_topics(department_codes: list[str] | tuple[str, ...]) -> list[str]:
    """Every topic the system uses for the given departments, with dead-letter topics."""
    return with_dead_letters([*CORE_TOPICS, *(department_work(c) for c in department_codes)])
