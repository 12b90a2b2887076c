"""Property test of the workflow: random sequences of officer actions (any role) and of
what happens by itself (payment or its failure, supplement, withdrawal, delivery, deadlines)
never reach an illegal state, and a refused action leaves the dossier exactly as it was."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from services.processing.domain.case import Case
from services.processing.domain.clock import business_date
from services.processing.domain.errors import ActionNotAllowed, InvalidAction
from services.processing.domain.rules import CLOCK_PAUSED, Action, Role, allowed_actions
from services.processing.domain.trail import Actor
from shared.contracts.status import DossierStatus as S
from tests.unit.test_processing_case import CAL, RESULT, submitted, terms, vn

DECIDED_OR_RETURNED = {S.DECIDED, S.RESULT_RETURNED}
OFFICERS = {role: Actor(f"tp.{role.value}", role) for role in Role}


class DossierWorkflow(RuleBasedStateMachine):
    @rule(fee=st.sampled_from([0, 50_000]), auto=st.booleans(), separate=st.booleans(),
          policy=st.sampled_from(["resume", "restart"]),
          method=st.sampled_from(["online", "postal"]))
    @precondition(lambda self: not hasattr(self, "case"))
    def submit(self, fee: int, auto: bool, separate: bool, policy: str, method: str) -> None:
        self.now = vn(2025, 1, 20, 9)
        self.case = Case.register(
            uuid.uuid4(), submitted(fee=fee, return_method=method, received_at=self.now),
            terms(auto_accept=auto, separate_approval=separate, supplement_policy=policy), CAL)
        self.latest_due = self.case.due_date
        self.check_audit_chain()

    def acted(self) -> bool:
        return hasattr(self, "case")

    @rule(hours=st.integers(0, 96))
    @precondition(acted)
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)

    @rule(action=st.sampled_from(list(Action)), role=st.sampled_from(list(Role)),
          days_ahead=st.integers(-3, 20), to=st.sampled_from(["tp", "vhtt", "xx"]))
    @precondition(acted)
    def officer_acts(self, action: Action, role: Role, days_ahead: int, to: str) -> None:
        case, actor = self.case, OFFICERS[role]
        allowed = action.value in allowed_actions(case.situation, role)
        before, events, audit = case.snapshot(), len(case.events), len(case.audit)
        some_day = business_date(self.now) + timedelta(days=days_ahead)
        try:
            self.perform(action, actor, some_day, to)
        except (ActionNotAllowed, InvalidAction) as refused:
            assert isinstance(refused, InvalidAction) or not allowed
            assert case.snapshot() == before
            assert (len(case.events), len(case.audit)) == (events, audit)
            return
        assert allowed, f"{action} succeeded for {role} although not allowed"
        assert len(case.audit) > audit and case.audit[audit].actor == actor
        if case.status is not before.status:
            assert len(case.events) > events

    def perform(self, action: Action, actor: Actor, some_day: date, to: str) -> None:
        case, now = self.case, self.now
        match action:
            case Action.ACCEPT:
                case.accept(actor, now, CAL)
            case Action.REFUSE_AT_INTAKE:
                case.refuse_at_intake(actor, "Không đúng thẩm quyền")
            case Action.START:
                case.start(actor)
            case Action.REQUEST_SUPPLEMENT:
                case.request_supplement(actor, now, CAL, missing=["Tờ khai"],
                                        reason="Thiếu tờ khai", deadline=some_day)
            case Action.PROPOSE:
                case.propose(actor, "approved", None)
            case Action.APPROVE | Action.REFUSE:
                case.decide(actor, now, approve=action is Action.APPROVE, reason="Lý do",
                            document=RESULT)
            case Action.STOP:
                case.stop(actor, "Quá hạn bổ sung")
            case Action.TRANSFER:
                case.transfer(actor, to_department=to, departments={"tp", "vhtt"},
                              reason=None)
            case Action.ISSUE_APOLOGY:
                case.issue_apology(actor, now, CAL, reason="Chờ xác minh",
                                   new_due_date=some_day)

    @rule(what=st.sampled_from(["payment", "payment_failure", "supplement", "withdrawal",
                                "delivery", "scan"]))
    @precondition(acted)
    def something_happens(self, what: str) -> None:
        case, before = self.case, self.case.snapshot()
        if what == "payment":
            case.record_payment(self.now, CAL)
        elif what == "payment_failure":
            case.record_payment_failure(self.now, "Thẻ bị từ chối", {"attempts": 3})
            assert case.snapshot() == before or case.fee_failed_at == self.now
            assert case.status is before.status and case.paused_at == before.paused_at
        elif what == "supplement":
            case.record_supplement(self.now, CAL)
        elif what == "withdrawal":
            case.withdraw("Không còn nhu cầu")
            if before.status.is_final or before.status in DECIDED_OR_RETURNED:
                assert case.snapshot() == before
        elif what == "delivery":
            case.record_delivery()
        else:
            today = business_date(self.now)
            case.flag_deadline(today, CAL.add_working_days(today, 1), CAL)
        if before.status.is_final:
            assert case.status is before.status

    @invariant()
    def state_is_legal(self) -> None:
        if not self.acted():
            return
        case = self.case
        assert (case.paused_at is not None) == (case.status in CLOCK_PAUSED)
        assert case.fee_failed_at is None or not case.fee_paid
        assert (case.outcome is not None) == (case.status in DECIDED_OR_RETURNED)
        if case.proposal is not None:
            assert case.status is S.IN_PROGRESS and case.terms.separate_approval
        if case.status is S.RESULT_RETURNED:
            assert case.return_method == "online" or case.outcome is not None
        assert case.received_at is not None or case.status in {S.REGISTERED,
                                                               S.REFUSED_AT_INTAKE,
                                                               S.WITHDRAWN}
        if case.received_at is not None:
            assert case.original_due_date is not None
            assert case.due_date >= case.original_due_date, "a deadline moved earlier"
            assert case.due_date >= self.latest_due or case.audit[-1].action == "accept"
        self.latest_due = case.due_date
        self.check_audit_chain()
        statuses = [e.status for e in case.events if "status" in type(e).model_fields]
        assert not statuses or statuses[-1] is case.status

    def check_audit_chain(self) -> None:
        """Each audit entry starts where the previous one ended: no unrecorded transition."""
        entries = self.case.audit
        assert entries[0].from_status is None
        for previous, entry in itertools.pairwise(entries):
            assert entry.from_status is previous.to_status, (previous, entry)
        assert entries[-1].to_status is self.case.status


DossierWorkflow.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
test_random_action_sequences_keep_the_dossier_legal = DossierWorkflow.TestCase
