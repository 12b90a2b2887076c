"""Who may do what, when: the officer workflow as one table, without I/O.

An action is allowed when the dossier is in one of its statuses, the officer has one of its
roles, and its guard holds. Guards carry the two things a status alone does not say: whether
a specialist's proposal awaits the approver, and whether the procedure has a separate
approver at all (a procedure without one lets the specialist decide).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from shared.contracts.status import DossierStatus as S


class Role(StrEnum):
    INTAKE = "intake"  # cán bộ một cửa
    SPECIALIST = "specialist"  # chuyên viên
    APPROVER = "approver"  # lãnh đạo


class Action(StrEnum):
    ACCEPT = "accept"
    REFUSE_AT_INTAKE = "refuse_at_intake"
    START = "start"
    REQUEST_SUPPLEMENT = "request_supplement"
    PROPOSE = "propose"
    APPROVE = "approve"
    REFUSE = "refuse"
    STOP = "stop"
    TRANSFER = "transfer"
    ISSUE_APOLOGY = "issue_apology"


@dataclass(frozen=True)
class Situation:
    """What the rules look at: the status and the two facts a status does not carry."""

    status: S
    awaiting_approval: bool = False
    separate_approval: bool = True


Guard = Callable[[Situation, Role], bool]


@dataclass(frozen=True)
class Rule:
    statuses: frozenset[S]
    roles: frozenset[Role]
    guard: Guard = lambda situation, role: True


def _decides(situation: Situation, role: Role) -> bool:
    if situation.separate_approval:
        return role is Role.APPROVER and situation.awaiting_approval
    return True  # no separate approver: the specialist (or the head) decides directly


def _before_proposal(situation: Situation, role: Role) -> bool:
    return not situation.awaiting_approval


def _proposes(situation: Situation, role: Role) -> bool:
    return situation.separate_approval and not situation.awaiting_approval


_CLOCK_RUNS_OR_PAUSED = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT,
                                   S.AWAITING_FEE})

RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(frozenset({S.REGISTERED}), frozenset({Role.INTAKE})),
    Action.REFUSE_AT_INTAKE: Rule(frozenset({S.REGISTERED}), frozenset({Role.INTAKE})),
    Action.START: Rule(frozenset({S.ACCEPTED}), frozenset({Role.SPECIALIST})),
    Action.REQUEST_SUPPLEMENT: Rule(frozenset({S.IN_PROGRESS}), frozenset({Role.SPECIALIST}),
                                    _before_proposal),
    Action.PROPOSE: Rule(frozenset({S.IN_PROGRESS}), frozenset({Role.SPECIALIST}), _proposes),
    Action.APPROVE: Rule(frozenset({S.IN_PROGRESS}), frozenset({Role.SPECIALIST, Role.APPROVER}),
                         _decides),
    Action.REFUSE: Rule(frozenset({S.IN_PROGRESS}), frozenset({Role.SPECIALIST, Role.APPROVER}),
                        _decides),
    Action.STOP: Rule(_CLOCK_RUNS_OR_PAUSED, frozenset({Role.APPROVER})),
    Action.TRANSFER: Rule(frozenset({S.REGISTERED, S.ACCEPTED, S.IN_PROGRESS}),
                          frozenset({Role.INTAKE, Role.APPROVER})),
    Action.ISSUE_APOLOGY: Rule(_CLOCK_RUNS_OR_PAUSED, frozenset({Role.APPROVER})),
}

CLOCK_PAUSED = frozenset({S.AWAITING_SUPPLEMENT, S.AWAITING_FEE})
CLOCK_RUNNING = frozenset({S.ACCEPTED, S.IN_PROGRESS})
OPEN = frozenset({S.REGISTERED, *_CLOCK_RUNS_OR_PAUSED})


def is_allowed(action: Action, situation: Situation, role: Role) -> bool:
    rule = RULES[action]
    return (situation.status in rule.statuses and role in rule.roles
            and rule.guard(situation, role))


def allowed_actions(situation: Situation, role: Role) -> list[str]:
    return sorted(a.value for a in Action if is_allowed(a, situation, role))

