"""Who did what to a dossier: the entries of its append-only audit trail, without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.processing.domain.rules import Role
from shared.contracts.status import DossierStatus


@dataclass(frozen=True)
class Actor:
    """Who acted: an officer (username and role) or the system itself (role None)."""

    name: str
    role: Role | None = None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class AuditEntry:
    action: str
    actor: Actor
    from_status: DossierStatus | None
    to_status: DossierStatus
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
