"""The permission matrix of the workflow: every action × role × situation, against the
matrix written out here by hand (not derived from the implementation's table)."""

from __future__ import annotations

import itertools

import pytest

from services.processing.domain.rules import Action, Role, Situation, allowed_actions, is_allowed
from shared.contracts.status import DossierStatus as S

IN, SP, AP = Role.INTAKE, Role.SPECIALIST, Role.APPROVER
ANY = None  # the row holds whatever the value

# (action, status, awaiting approval, separate approver) -> the roles allowed.
MATRIX: list[tuple[str, S, bool | None, bool | None, set[Role]]] = [
    ("accept", S.REGISTERED, ANY, ANY, {IN}),
    ("refuse_at_intake", S.REGISTERED, ANY, ANY, {IN}),
    ("transfer", S.REGISTERED, ANY, ANY, {IN, AP}),
    ("start", S.ACCEPTED, ANY, ANY, {SP}),
    ("transfer", S.ACCEPTED, ANY, ANY, {IN, AP}),
    ("stop", S.ACCEPTED, ANY, ANY, {AP}),
    ("issue_apology", S.ACCEPTED, ANY, ANY, {AP}),
    ("request_supplement", S.IN_PROGRESS, False, ANY, {SP}),
    ("propose", S.IN_PROGRESS, False, True, {SP}),
    ("approve", S.IN_PROGRESS, True, True, {AP}),
    ("refuse", S.IN_PROGRESS, True, True, {AP}),
    ("approve", S.IN_PROGRESS, False, False, {SP, AP}),
    ("refuse", S.IN_PROGRESS, False, False, {SP, AP}),
    ("transfer", S.IN_PROGRESS, ANY, ANY, {IN, AP}),
    ("stop", S.IN_PROGRESS, ANY, ANY, {AP}),
    ("issue_apology", S.IN_PROGRESS, ANY, ANY, {AP}),
    *[(a, s, ANY, ANY, {AP}) for a in ("stop", "issue_apology")
      for s in (S.AWAITING_SUPPLEMENT, S.AWAITING_FEE)],
]


def expected_roles(action: str, situation: Situation) -> set[Role]:
    roles: set[Role] = set()
    for name, status, awaiting, separate, allowed in MATRIX:
        if name == action and status is situation.status \
                and awaiting in (ANY, situation.awaiting_approval) \
                and separate in (ANY, situation.separate_approval):
            roles |= allowed
    return roles


def situations() -> list[Situation]:
    """Every reachable situation: a proposal exists only in progress, with an approver."""
    found = [Situation(status, False, separate)
             for status, separate in itertools.product(S, (True, False))]
    return [*found, Situation(S.IN_PROGRESS, True, True)]


@pytest.mark.parametrize("situation", situations(), ids=str)
def test_each_role_may_do_exactly_what_the_matrix_says(situation: Situation) -> None:
    for action, role in itertools.product(Action, Role):
        assert is_allowed(action, situation, role) == (role in expected_roles(action,
                                                                              situation)), (
            action, role)


def test_closed_dossiers_allow_nothing_and_every_action_is_somebodys() -> None:
    for situation in situations():
        if situation.status.is_final or situation.status is S.DECIDED:
            assert all(allowed_actions(situation, role) == [] for role in Role)
    covered = {row[0] for row in MATRIX}
    assert covered == {a.value for a in Action}
