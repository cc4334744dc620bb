"""Every illegal transition is refused with a specific error, and nothing changes.

Table-driven over ``workflow.TRANSITIONS``: for each single-case action, every state it may not
leave from (wrong state), a role that may not take it (wrong role) and an officer of another
city (wrong region). Bulk steps skip cases in other states instead (tested at the end).
"""

from datetime import date

import pytest

from wengang.cases import workflow
from wengang.cases.errors import (
    AppendOnly,
    ConcurrentChange,
    IllegalTransition,
    NotOwnUnit,
    OutsideRegion,
    StateChangeOutsideWorkflow,
    WrongRole,
)
from wengang.cases.models import Action, Case, CaseEvent, Channel, ClosedReason, HoldKind, State

pytestmark = pytest.mark.django_db


def _confirmation(case):
    return workflow.Confirmation(size=case.size, insured=case.insured, amount_fen=case.amount_fen,
                                 signatory_name="李会计")


def _call(action: Action, case: Case, actor, commitment_text):
    """Take ``action`` on ``case`` as ``actor`` through the public workflow function."""
    if action == Action.NOTIFIED:
        return workflow.notify(case, actor=actor)
    if action == Action.APPLIED:
        return workflow.apply(case, actor=actor, confirmation=_confirmation(case),
                              commitment_text=commitment_text, origin="10.0.0.1")
    if action == Action.DECLINED:
        return workflow.decline(case, actor=actor)
    if action == Action.WITHDRAWN:
        return workflow.withdraw(case, actor=actor, reason="测试")
    if action == Action.APPROVED:
        return workflow.approve(case, actor=actor)
    if action == Action.REJECTED:
        return workflow.reject(case, actor=actor, reason="测试")
    if action == Action.HELD:
        return workflow.hold(case, actor=actor, reason="测试")
    if action == Action.RELEASED:
        return workflow.release(case, actor=actor, reason="测试")
    if action == Action.LATE_CLAIM_REOPENED:
        return workflow.reopen_for_late_claim(case, actor=actor, reason="补报")
    if action == Action.OBJECTION_FILED:
        return workflow.hold_for_objection(case, actor=actor, objector_label="公众",
                                           reason="测试", channel=Channel.PUBLIC)
    raise AssertionError(action)


SINGLE = [Action.NOTIFIED, Action.APPLIED, Action.DECLINED, Action.WITHDRAWN, Action.APPROVED,
          Action.REJECTED, Action.HELD, Action.RELEASED, Action.LATE_CLAIM_REOPENED,
          Action.OBJECTION_FILED]


def _actor(action: Action, case: Case, people):
    if action == Action.APPLIED:
        return people.enterprise_for(case)
    if action == Action.OBJECTION_FILED:
        return None  # the public
    return people.agency


WRONG_STATE = [(action, state) for action in SINGLE for state in State
               if state not in workflow.TRANSITIONS[action].sources]


@pytest.mark.parametrize(("action", "state"), WRONG_STATE,
                         ids=[f"{a}-from-{s}" for a, s in WRONG_STATE])
def test_an_action_from_a_state_it_may_not_leave_is_refused(action, state, make_case, people,
                                                            commitment_text):
    route = "application" if action in (Action.APPLIED, Action.LATE_CLAIM_REOPENED) else "automatic"
    case = make_case(state, route=route)
    with pytest.raises(IllegalTransition) as raised:
        _call(action, case, _actor(action, case, people), commitment_text)
    assert raised.value.code == "illegal_transition" and raised.value.case_id == case.pk
    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.version) == (state, case.version)
    assert not CaseEvent.objects.filter(case=case).exists()


def _source(action: Action) -> State:
    """A state the action may leave from, with the details the action needs."""
    return min(workflow.TRANSITIONS[action].sources)


@pytest.mark.parametrize("action", [a for a in SINGLE if a != Action.OBJECTION_FILED])
def test_a_role_that_may_not_take_the_action_is_refused(action, make_case, people,
                                                       commitment_text):
    state = _source(action)
    case = make_case(state, route="application",
                     closed_reason=ClosedReason.APPLICATION_EXPIRED)
    wrong = people.auditor if action != Action.APPLIED else people.agency  # online is the enterprise's
    with pytest.raises(WrongRole) as raised:
        _call(action, case, wrong, commitment_text)
    assert raised.value.code == "wrong_role"
    assert Case.objects.get(pk=case.pk).state == state


@pytest.mark.parametrize("action", [a for a in SINGLE
                                    if a not in (Action.APPLIED, Action.OBJECTION_FILED)])
def test_an_officer_of_another_city_is_refused(action, make_case, people, commitment_text):
    state = _source(action)
    case = make_case(state, route="application", closed_reason=ClosedReason.APPLICATION_EXPIRED)
    with pytest.raises(OutsideRegion) as raised:
        _call(action, case, people.other_agency, commitment_text)
    assert raised.value.code == "outside_region"
    assert Case.objects.get(pk=case.pk).state == state


def test_a_county_officer_may_not_act_on_another_county(make_case, people):
    case = make_case(region_code="360111")
    with pytest.raises(OutsideRegion):
        workflow.notify(case, actor=people.county_agency)


def test_an_enterprise_may_not_act_for_another_unit(make_case, people, commitment_text):
    mine, theirs = make_case(State.AWAITING_APPLICATION), make_case(State.AWAITING_APPLICATION)
    with pytest.raises(NotOwnUnit):
        _call(Action.APPLIED, theirs, people.enterprise_for(mine), commitment_text)


def test_an_enterprise_may_not_withdraw_once_in_review(make_case, people):
    case = make_case(State.IN_REVIEW)
    with pytest.raises(IllegalTransition):
        workflow.withdraw(case, actor=people.enterprise_for(case), reason="撤回")


def test_an_objection_hold_is_released_only_by_resolving_the_objection(make_case, people):
    case = make_case(State.ON_HOLD, hold_kind=HoldKind.OBJECTION)
    with pytest.raises(IllegalTransition):
        workflow.release(case, actor=people.agency, reason="无误")


def test_a_scheduled_job_may_not_take_a_persons_action(make_case):
    with pytest.raises(WrongRole):
        workflow.withdraw(make_case(), actor=None, reason="测试")


def test_an_inactive_officer_is_refused(make_case, people):
    people.agency.is_active = False
    with pytest.raises(WrongRole):
        workflow.notify(make_case(), actor=people.agency)


def test_acting_on_a_stale_copy_is_a_conflict(make_case, people):
    case = make_case()
    stale = Case.objects.get(pk=case.pk)
    workflow.notify(case, actor=people.agency)
    with pytest.raises(ConcurrentChange) as raised:
        workflow.hold(stale, actor=people.agency, reason="核查")
    assert raised.value.code == "conflict"


def test_saving_a_new_state_outside_the_workflow_is_refused(make_case):
    case = Case.objects.get(pk=make_case().pk)
    case.state = State.PAYABLE
    with pytest.raises(StateChangeOutsideWorkflow):
        case.save()
    case.state = State.SCREENED
    case.explanation = "说明更正"
    case.save()  # other fields may be saved


def test_events_cannot_be_changed_or_deleted_through_the_orm(make_case, people):
    case = workflow.notify(make_case(), actor=people.agency)
    event = CaseEvent.objects.get(case=case)
    event.reason = "改写"
    for attempt in (event.save, event.delete, CaseEvent.objects.all().delete,
                    lambda: CaseEvent.objects.update(reason="x")):
        with pytest.raises(AppendOnly):
            attempt()


def test_bulk_steps_skip_cases_in_other_states(make_case, people, run):
    from wengang.cases.models import PublicityBatch

    approved, applied = make_case(State.APPROVED), make_case(State.APPLIED)
    batch = PublicityBatch.objects.create(region_code="360100", start_on=date(2020, 4, 29),
                                          end_on=date(2020, 5, 8), workdays=5,
                                          opened_by=people.agency, opened_at=approved.created_at)
    ids = [approved.pk, applied.pk]
    assert workflow.make_payable_many(ids, actor=people.agency, batch=batch, channel="cli",
                                      request_id="", today=date(2020, 5, 11)) == []
    assert workflow.start_review_many([approved.pk], actor=people.agency, channel="cli",
                                      request_id="", batch_id=0) == []
    assert workflow.start_publicity_many([applied.pk], actor=people.agency, batch=batch,
                                         channel="cli", request_id="") == []
    assert workflow.expire_applications() == 0
    assert workflow.withdraw_ineligible(run_id=run.pk) == 0
    assert [Case.objects.get(pk=pk).state for pk in ids] == [State.APPROVED, State.APPLIED]
