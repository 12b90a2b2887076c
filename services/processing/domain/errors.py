"""Every error of processing's domain, in one place. Each has one HTTP answer for the whole
app: bootstrap's ``ERRORS`` gives most of them a status, their message being the ``detail``;
ConflictWithState (a body with the dossier's state) is answered by the action route, and an
officer's InvalidToken (shared.runtime.officer_tokens, a 401 with its challenge) by the
sign-in dependency."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.processing.domain.rules import Action, Role, Situation, allowed_actions
from shared.contracts.status import DossierStatus


class CaseNotFound(LookupError):
    """No dossier of the officer's department has this code (HTTP 404): another
    department's dossier is answered exactly as a code never issued."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no dossier {code!r}")


class NoResultDocument(LookupError):
    """The dossier has no result document (yet, or ever: a refusal has none) (HTTP 404)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"dossier {code} has no result document")


class InvalidAction(ValueError):
    """The action is allowed but its content is not (a past date, an unknown department)
    (HTTP 422)."""


class DateOutOfBounds(InvalidAction):
    """A date an officer gave is outside what the action allows (HTTP 422); the answer
    names the field and both bounds (``fields``, added to the body)."""

    def __init__(self, field: str, value: date, earliest: date, latest: date, rule: str
                 ) -> None:
        super().__init__(f"{field} {value} must be {rule}: from {earliest} to {latest}")
        self.fields = {"field": field, "earliest": earliest.isoformat(),
                       "latest": latest.isoformat()}

    @classmethod
    def check(cls, field: str, value: date, earliest: date, latest: date, rule: str) -> None:
        if not earliest <= value <= latest:
            raise cls(field, value, earliest, latest, rule)


class ConcurrentChange(Exception):
    """Another writer changed the dossier between read and write (HTTP 409)."""


class ConflictWithState(Exception):
    """A 409 that tells the officer where the dossier is now: its status, the actions their
    role may take there, and its version when the conflict is about the version."""

    def __init__(self, message: str, status: DossierStatus, allowed: list[str],
                 version: int | None = None) -> None:
        super().__init__(message)
        self.status, self.allowed, self.version = status, allowed, version

    def answer(self) -> dict[str, Any]:
        return {"detail": str(self), "status": self.status.value,
                "allowed_actions": self.allowed, "version": self.version}


class ActionNotAllowed(ConflictWithState):
    """The action is not allowed in this situation for this role (HTTP 409)."""

    def __init__(self, action: Action, situation: Situation, role: Role) -> None:
        super().__init__(
            f"action {action.value!r} is not allowed for the {role.value} role while the "
            f"dossier is {situation.status.value}"
            + (" awaiting approval" if situation.awaiting_approval else ""),
            situation.status, allowed_actions(situation, role))
        self.action = action


class StaleVersion(ConflictWithState):
    """The officer acted on a version of the dossier that is no longer current (HTTP 409)."""

    def __init__(self, code: str, situation: Situation, role: Role, version: int,
                 seen: int) -> None:
        super().__init__(f"dossier {code} is at version {version}, not {seen}: somebody "
                         "acted on it meanwhile; reload it",
                         situation.status, allowed_actions(situation, role), version)
