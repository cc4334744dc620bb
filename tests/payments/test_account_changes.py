"""Account changes: the unit's own name, a cooling-off period, another person approves."""

from datetime import timedelta

import pytest

from wengang.cases.errors import NotOwnUnit
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.errors import AccountChangeRefused
from wengang.payments.models import AccountChange

pytestmark = pytest.mark.django_db


def ask(people, unit, *, holder=None, number="6228480000001111", actor=None):
    return services.request_account_change(
        unit, actor=actor or people.enterprise_for(unit), account_number=number,
        bank_name="农业银行", holder_name=unit.name if holder is None else holder)


@pytest.fixture
def unit(make_case):
    return make_case(name="南昌市洪城机械有限公司（东湖分公司）").unit


def test_a_request_is_sealed_and_waits_three_working_days(people, unit):
    change = ask(people, unit)
    assert change.status == AccountChange.Status.PENDING
    assert change.account_masked == "****1111" and "6228480000001111" not in change.account_sealed
    assert change.account_number() == "6228480000001111"
    # Requested Monday 11 May 2020: Tue 12, Wed 13, Thu 14 → verifiable from Thursday.
    assert change.verifiable_from == clock.today() + timedelta(days=3)


@pytest.mark.parametrize("holder", ["南昌市洪城机械有限公司", "南昌市洪城机械有限公司（西湖分公司）", "张三"])
def test_a_holder_who_is_not_the_unit_is_refused(people, unit, holder):
    with pytest.raises(AccountChangeRefused) as refused:
        ask(people, unit, holder=holder)
    assert "refunds go only to the unit's own account" in str(refused.value)
    assert not AccountChange.objects.exists()


def test_the_holder_name_matches_across_bracket_widths_and_spaces(people, unit):
    assert ask(people, unit, holder=" 南昌市洪城机械有限公司(东湖分公司)").pk


@pytest.mark.parametrize("number", ["1234567", "62284800000011112222333344445555666", "6228-4800"])
def test_a_malformed_account_number_is_refused(people, unit, number):
    with pytest.raises(AccountChangeRefused):
        ask(people, unit, number=number)


def test_another_enterprise_cannot_ask_for_this_unit(people, unit, make_case):
    stranger = people.enterprise_for(make_case().unit)
    with pytest.raises(NotOwnUnit):
        ask(people, unit, actor=stranger)


@pytest.mark.parametrize("days_after, allowed", [(2, False), (3, True), (4, True)])
def test_approval_waits_out_the_cooling_off(people, unit, days_after, allowed):
    change = ask(people, unit)
    with clock.frozen(clock.today() + timedelta(days=days_after)):
        if allowed:
            decided = services.decide_account_change(change, actor=people.agency, approve=True,
                                                     note="电话核实法定代表人")
            assert decided.status == AccountChange.Status.APPROVED
            assert decided.decided_by == people.agency
        else:
            with pytest.raises(AccountChangeRefused) as refused:
                services.decide_account_change(change, actor=people.agency, approve=True,
                                               note="核实")
            assert "cooling-off" in str(refused.value)
            assert AccountChange.objects.get(pk=change.pk).status == AccountChange.Status.PENDING


def test_a_refusal_needs_no_wait_and_is_final(people, unit):
    change = ask(people, unit)
    services.decide_account_change(change, actor=people.agency, approve=False, note="非本单位账户")
    with pytest.raises(AccountChangeRefused):
        services.decide_account_change(change, actor=people.agency2, approve=True, note="再核")


def test_the_requester_cannot_approve_their_own_change(people, unit):
    change = ask(people, unit, actor=people.agency)  # recorded at the counter
    with clock.frozen(change.verifiable_from):
        with pytest.raises(AccountChangeRefused):
            services.decide_account_change(change, actor=people.agency, approve=True, note="核实")
        assert services.decide_account_change(change, actor=people.agency2, approve=True,
                                              note="核实").status == "approved"
