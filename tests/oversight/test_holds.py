"""Risk holds: flagged cases stop before payment until an officer clears them or the unit
corrects its data; every move goes through the workflow."""

import pytest

from wengang.cases import workflow
from wengang.cases.errors import OutsideRegion, WrongRole
from wengang.cases.models import Action, Case, CaseEvent, HoldKind, State
from wengang.oversight import holds
from wengang.oversight.errors import NoOpenHold, ReasonRequired
from wengang.oversight.models import RiskHold

pytestmark = pytest.mark.django_db

CITY = "360100"


def flagged(make_case, state, risk="shared_bank_account", **options) -> Case:
    case = make_case(state, **options)
    Case.objects.filter(pk=case.pk).update(risk=risk)
    return Case.objects.get(pk=case.pk)


def rescreened(case: Case, risk: str) -> None:
    """What a re-screen does to a never-approved case's flags (``cases.loading``)."""
    Case.objects.filter(pk=case.pk).update(risk=risk)


@pytest.mark.parametrize("state", [State.SCREENED, State.APPLIED, State.IN_REVIEW,
                                   State.IN_PUBLICITY, State.PAYABLE])
def test_a_flagged_open_case_is_held_through_the_workflow(people, make_case, state):
    case = flagged(make_case, state)
    result = holds.sweep(actor=people.agency, region_code=CITY)
    assert result.held == [case.pk]
    case.refresh_from_db()
    assert (case.state, case.held_from, case.hold_kind) == (State.ON_HOLD, state, HoldKind.RISK)
    event = CaseEvent.objects.get(case=case)
    assert (event.action, event.actor) == (Action.HELD, people.agency)
    assert "shared_bank_account" in event.reason
    assert RiskHold.objects.open().get().flags == "shared_bank_account"


@pytest.mark.parametrize("state", [State.IN_PAYMENT, State.PAID, State.REJECTED, State.WITHDRAWN])
def test_cases_past_payment_or_closed_are_not_held(people, make_case, state):
    flagged(make_case, state)
    assert holds.sweep(actor=people.agency, region_code=CITY).held == []
    assert not CaseEvent.objects.exists()


def test_unflagged_cases_and_other_regions_are_left_alone(people, make_case):
    make_case(State.PAYABLE)
    flagged(make_case, State.PAYABLE, region_code="360200")
    assert holds.sweep(actor=people.agency, region_code=CITY).held == []
    assert not Case.objects.filter(state=State.ON_HOLD).exists()


def test_a_second_sweep_changes_nothing(people, make_case):
    flagged(make_case, State.PAYABLE)
    holds.sweep(actor=people.agency, region_code=CITY)
    again = holds.sweep(actor=people.agency, region_code=CITY)
    assert (again.held, again.corrected, again.ended) == ([], [], [])
    assert CaseEvent.objects.count() == 1


def test_an_officer_clears_a_hold_with_a_reason_and_it_is_not_placed_again(people, make_case):
    case = flagged(make_case, State.PAYABLE, risk="shared_bank_account;shared_phone")
    holds.sweep(actor=people.agency, region_code=CITY)
    hold = holds.clear(Case.objects.get(pk=case.pk), actor=people.agency,
                       reason="集团财务统一代收，已核实")
    assert (hold.outcome, hold.ended_by) == (RiskHold.Outcome.CLEARED, people.agency)
    case.refresh_from_db()
    assert case.state == State.PAYABLE
    assert holds.sweep(actor=people.agency, region_code=CITY).held == []
    rescreened(case, "shared_phone")  # fewer flags than cleared: still cleared
    assert holds.sweep(actor=people.agency, region_code=CITY).held == []
    rescreened(case, "headcount_jump_q4;shared_phone")  # a new flag: held again
    assert holds.sweep(actor=people.agency, region_code=CITY).held == [case.pk]


@pytest.mark.parametrize("reason", ["", "   "])
def test_clearing_needs_a_reason_and_changes_nothing_without_one(people, make_case, reason):
    case = flagged(make_case, State.PAYABLE)
    holds.sweep(actor=people.agency, region_code=CITY)
    with pytest.raises(ReasonRequired):
        holds.clear(Case.objects.get(pk=case.pk), actor=people.agency, reason=reason)
    assert Case.objects.get(pk=case.pk).state == State.ON_HOLD
    assert RiskHold.objects.open().count() == 1


def test_clearing_a_case_without_a_risk_hold_is_refused(people, make_case):
    case = make_case(State.PAYABLE)
    with pytest.raises(NoOpenHold):
        holds.clear(case, actor=people.agency, reason="核实")


def test_a_unit_that_corrects_its_data_is_released(people, make_case):
    case = flagged(make_case, State.APPLIED)
    holds.sweep(actor=people.agency, region_code=CITY)
    rescreened(case, "")
    result = holds.sweep(actor=people.agency, region_code=CITY)
    assert result.corrected == [case.pk]
    case.refresh_from_db()
    assert case.state == State.APPLIED
    assert RiskHold.objects.get().outcome == RiskHold.Outcome.CORRECTED
    assert CaseEvent.objects.filter(case=case, action=Action.RELEASED).count() == 1


def test_a_hold_still_showing_one_of_its_flags_stays(people, make_case):
    case = flagged(make_case, State.APPLIED, risk="shared_bank_account;shared_phone")
    holds.sweep(actor=people.agency, region_code=CITY)
    rescreened(case, "shared_phone")
    assert holds.sweep(actor=people.agency, region_code=CITY).corrected == []
    assert Case.objects.get(pk=case.pk).state == State.ON_HOLD


def test_a_hold_released_by_hand_counts_as_cleared_with_that_reason(people, make_case):
    case = flagged(make_case, State.PAYABLE)
    holds.sweep(actor=people.agency, region_code=CITY)
    workflow.release(Case.objects.get(pk=case.pk), actor=people.county_agency, reason="人工核实解除")
    result = holds.sweep(actor=people.agency, region_code=CITY)
    assert (result.ended, result.held) == ([case.pk], [])
    hold = RiskHold.objects.get()
    assert (hold.outcome, hold.reason, hold.ended_by) == (RiskHold.Outcome.CLEARED, "人工核实解除",
                                                          people.county_agency)


def test_a_hold_whose_case_was_withdrawn_is_ended(people, make_case):
    case = flagged(make_case, State.PAYABLE)
    holds.sweep(actor=people.agency, region_code=CITY)
    workflow.withdraw(Case.objects.get(pk=case.pk), actor=people.agency, reason="企业申请撤销")
    assert holds.sweep(actor=people.agency, region_code=CITY).ended == [case.pk]
    assert RiskHold.objects.get().outcome == RiskHold.Outcome.ENDED


def test_only_an_agency_officer_of_the_region_sweeps(people, make_case):
    flagged(make_case, State.PAYABLE)
    with pytest.raises(WrongRole):
        holds.sweep(actor=people.auditor, region_code=CITY)
    with pytest.raises(OutsideRegion):
        holds.sweep(actor=people.other_agency, region_code=CITY)
    assert not CaseEvent.objects.exists() and not RiskHold.objects.exists()
