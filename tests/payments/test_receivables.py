"""Receivables: claimed back up to what was paid, repaid or offset into the budget, written off
only with a reason and a finance approver."""

from datetime import date

import pytest

from wengang.cases.errors import WrongRole
from wengang.cases.models import Case, State
from wengang.payments import services
from wengang.payments.errors import ReceivableError
from wengang.payments.models import Budget, LedgerEntry, Payment, Receivable, ReceivableEntry

from .returns import csv_return, outcome_rows
from .world import CITY

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(people, exported):
    """The exported batch, all paid: (batch, cases)."""
    batch, cases, _ = exported
    services.apply_return(csv_return(batch, outcome_rows(batch)), name="r", actor=people.agency)
    return batch, [Case.objects.get(pk=c.pk) for c in cases]


def claim(people, case, amount_fen, source="audit_finding"):
    return services.raise_receivable(case, actor=people.agency, source=source,
                                     amount_fen=amount_fen, reason="审计发现虚报参保人数",
                                     due_on=date(2020, 6, 30))


def balanced(budget_id):
    return services.check_ledger(Budget.objects.get(pk=budget_id)).balanced


@pytest.mark.parametrize("amount, allowed", [(0, False), (1, True), (100_000, True),
                                             (100_001, False)])
def test_a_claim_is_at_most_what_the_case_was_paid(people, fund, paid, amount, allowed):
    _, cases = paid  # cases[0] was paid 1,000.00
    if allowed:
        receivable = claim(people, cases[0], amount)
        assert receivable.notice_sent_on == date(2020, 5, 11)
        budget = Budget.objects.get(pk=fund.pk)
        assert (budget.paid_fen, budget.receivable_fen) == (350_051 - amount, amount)
    else:
        with pytest.raises(ReceivableError):
            claim(people, cases[0], amount)
        assert not Receivable.objects.exists()
    assert balanced(fund.pk)


def test_claims_together_stay_within_the_payment(people, paid):
    _, cases = paid
    claim(people, cases[0], 60_000)
    with pytest.raises(ReceivableError):
        claim(people, cases[0], 40_001)
    claim(people, cases[0], 40_000)


def test_an_unpaid_case_has_nothing_to_claim_back(people, fund, make_case):
    with pytest.raises(ReceivableError):
        claim(people, make_case(), 1)


@pytest.mark.parametrize("repay, allowed", [(29_999, True), (30_000, True), (30_001, False)])
def test_repayments_return_money_to_the_budget(people, fund, paid, repay, allowed):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    before = Budget.objects.get(pk=fund.pk).available_fen
    if allowed:
        services.record_repayment(receivable, actor=people.agency, amount_fen=repay,
                                  reference="缴款书 2020-0001")
        assert Budget.objects.get(pk=fund.pk).available_fen == before + repay
        assert Receivable.objects.get(pk=receivable.pk).outstanding_fen == 30_000 - repay
    else:
        with pytest.raises(ReceivableError):
            services.record_repayment(receivable, actor=people.agency, amount_fen=repay,
                                      reference="缴款书")
        assert Budget.objects.get(pk=fund.pk).available_fen == before
    assert balanced(fund.pk)


def test_a_later_refund_of_the_same_unit_is_offset(people, fund, paid, make_case, tmp_path):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    later = make_case(amount_fen=100_000, unit=cases[0].unit, program="difficult-2020")
    services.allocate(region_code=CITY, program="difficult-2020", year=2020, amount_fen=10**6,
                      actor=people.finance)
    batch = services.build_batches(actor=people.agency, region_code=CITY,
                                   program="difficult-2020").batches[0]
    payment = batch.payments.get()
    assert (payment.gross_fen, payment.offset_fen, payment.amount_fen) == (100_000, 30_000, 70_000)
    assert Receivable.objects.get(pk=receivable.pk).earmarked_fen == 30_000
    with pytest.raises(ReceivableError):  # the earmarked money cannot also be repaid
        services.record_repayment(receivable, actor=people.agency, amount_fen=1, reference="x")
    services.approve_batch(batch, actor=people.finance)
    export = services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    assert export.total_fen == 70_000
    services.apply_return(csv_return(batch, outcome_rows(batch)), name="r2", actor=people.agency)
    receivable.refresh_from_db()
    assert (receivable.settled_fen, receivable.earmarked_fen) == (30_000, 0)
    entry = ReceivableEntry.objects.get(receivable=receivable)
    assert (entry.kind, entry.payment_id) == ("offset", payment.pk)
    assert Case.objects.get(pk=later.pk).state == State.PAID
    assert Budget.objects.get(pk=fund.pk).available_fen == 100_000_000 - 350_051 + 30_000
    assert balanced(fund.pk) and balanced(batch.budget_id)


def test_a_failed_offset_payment_frees_the_receivable(people, fund, paid, make_case, tmp_path):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    later = make_case(amount_fen=100_000, unit=cases[0].unit, program="difficult-2020")
    services.allocate(region_code=CITY, program="difficult-2020", year=2020, amount_fen=10**6,
                      actor=people.finance)
    batch = services.build_batches(actor=people.agency, region_code=CITY,
                                   program="difficult-2020").batches[0]
    services.approve_batch(batch, actor=people.finance)
    services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    services.apply_return(csv_return(batch, outcome_rows(batch, failed={later.pk: "账户冻结"})),
                          name="r2", actor=people.agency)
    receivable.refresh_from_db()
    assert (receivable.settled_fen, receivable.earmarked_fen) == (0, 0)
    assert balanced(fund.pk) and balanced(batch.budget_id)


def test_an_offset_that_covers_the_whole_refund_sends_nothing_to_the_bank(people, fund, paid,
                                                                           make_case, tmp_path):
    _, cases = paid
    claim(people, cases[1], 250_050)
    later = make_case(amount_fen=100_000, unit=cases[1].unit, program="difficult-2020")
    services.allocate(region_code=CITY, program="difficult-2020", year=2020, amount_fen=10**6,
                      actor=people.finance)
    batch = services.build_batches(actor=people.agency, region_code=CITY,
                                   program="difficult-2020").batches[0]
    services.approve_batch(batch, actor=people.finance)
    export = services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    assert (export.count, export.total_fen) == (0, 0)
    assert Payment.objects.get(case=later).status == Payment.Status.PAID
    assert Case.objects.get(pk=later.pk).state == State.PAID
    assert balanced(fund.pk) and balanced(batch.budget_id)


def test_a_write_off_needs_a_finance_approver_other_than_the_officer(people, fund, paid):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    services.record_repayment(receivable, actor=people.agency, amount_fen=10_000,
                              reference="缴款书")
    with pytest.raises(WrongRole):
        services.write_off(receivable, actor=people.agency, approver=people.agency2,
                           reason="单位已注销")
    entry = services.write_off(receivable, actor=people.agency, approver=people.finance,
                               reason="单位已注销，无财产可供执行")
    assert (entry.amount_fen, entry.approver) == (20_000, people.finance)
    assert Receivable.objects.get(pk=receivable.pk).outstanding_fen == 0
    budget = Budget.objects.get(pk=fund.pk)
    assert (budget.receivable_fen, budget.written_off_fen) == (0, 20_000)
    assert LedgerEntry.objects.filter(kind="write_off", amount_fen=20_000).exists()
    assert balanced(fund.pk)
    with pytest.raises(ReceivableError):  # nothing left to write off
        services.write_off(receivable, actor=people.agency, approver=people.finance, reason="再次")
