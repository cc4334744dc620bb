"""The receiving account of a case: sealed, given at application, frozen once approved."""

import pytest

from wengang.cases import workflow
from wengang.cases.errors import (
    AccountFrozen,
    AccountInvalid,
    IllegalTransition,
    OutsideRegion,
    ReasonRequired,
    WrongRole,
)
from wengang.cases.models import Action, Case, CaseEvent, Commitment, HoldKind, State

pytestmark = pytest.mark.django_db


def test_an_officer_changes_the_account_of_an_unapproved_case(make_case, people):
    case = make_case(State.APPLIED, route="application")
    changed = workflow.change_account(case, actor=people.agency, account="6217009988776655",
                                      reason="企业来函变更基本户")
    assert (changed.state, changed.account_masked, changed.version) == (State.APPLIED,
                                                                        "****6655", 2)
    assert changed.account_number() == "6217009988776655"
    event = CaseEvent.objects.get(case=case, action=Action.ACCOUNT_CHANGED)
    assert event.data == {"account_before": "****2222", "account_after": "****6655"}
    assert "6217009988776655" not in str(event.data) + event.reason
    assert case.unit.account_number() == "6222000011112222"  # the unit's record is not the case's


@pytest.mark.parametrize("state", [State.APPROVED, State.IN_PUBLICITY, State.PAYABLE])
def test_the_account_of_an_approved_case_is_frozen(make_case, people, state):
    case = make_case(state)
    with pytest.raises(AccountFrozen) as raised:
        workflow.change_account(case, actor=people.agency, account="6217009988776655",
                                reason="变更")
    assert raised.value.code == "account_frozen" and "账户变更" in raised.value.zh
    case.refresh_from_db()
    assert (case.account_masked, case.version) == ("****2222", 1)


def test_a_held_case_once_approved_stays_frozen(make_case, people):
    case = make_case(State.ON_HOLD, held_from=State.IN_PUBLICITY, hold_kind=HoldKind.RISK)
    with pytest.raises(AccountFrozen):
        workflow.change_account(case, actor=people.agency, account="6217009988776655",
                                reason="变更")


def test_closed_cases_take_no_new_account(make_case, people):
    with pytest.raises(IllegalTransition):
        workflow.change_account(make_case(State.DECLINED), actor=people.agency,
                                account="6217009988776655", reason="变更")


@pytest.mark.parametrize("account", ["12345", "6217 0099 8877", "62170099887766550000000000000000000000001",
                                     "６２１７００９９８８"])
def test_an_account_must_be_six_to_forty_digits(make_case, people, account):
    case = make_case(State.APPLIED, route="application")
    with pytest.raises(AccountInvalid):
        workflow.change_account(case, actor=people.agency, account=account, reason="变更")


@pytest.mark.parametrize("account", ["123456", "1" * 40])
def test_six_and_forty_digits_are_accepted(make_case, people, account):
    case = make_case(State.APPLIED, route="application")
    assert workflow.change_account(case, actor=people.agency, account=account,
                                   reason="变更").account_number() == account


def test_only_an_officer_of_the_region_changes_an_account(make_case, people):
    case = make_case(State.APPLIED, route="application")
    for actor, error in ((people.enterprise_for(case), WrongRole),
                         (people.other_agency, OutsideRegion)):
        with pytest.raises(error):
            workflow.change_account(case, actor=actor, account="6217009988776655", reason="变更")
    assert Case.objects.get(pk=case.pk).account_masked == "****2222"


def test_a_change_needs_a_reason(make_case, people):
    with pytest.raises(ReasonRequired):
        workflow.change_account(make_case(State.APPLIED, route="application"),
                                actor=people.agency, account="6217009988776655", reason=" ")


def test_the_account_given_at_application_is_sealed_on_case_and_commitment(
        make_case, people, commitment_text):
    case = make_case(State.AWAITING_APPLICATION, route="application", bank_account="")
    assert not case.has_account
    case = workflow.apply(case, actor=people.enterprise_for(case), origin="10.0.0.1",
                          commitment_text=commitment_text,
                          confirmation=workflow.Confirmation(
                              size=case.size, insured=case.insured, amount_fen=case.amount_fen,
                              signatory_name="李会计", account="6217001234567890"))
    commitment = Commitment.objects.get(case=case)
    assert (case.account_masked, commitment.account_masked) == ("****7890", "****7890")
    assert case.account_digest == commitment.account_digest
    assert "6217001234567890" not in commitment.account_sealed + case.account_sealed
    assert CaseEvent.objects.get(case=case, action=Action.APPLIED).data["account"] == "****7890"
