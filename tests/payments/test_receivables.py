"""Receivables: claimed back up to what was paid, repaid or offset into the budget, written off
in two steps — an officer proposes with a reason, a finance approver other than the proposer
decides."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from wengang.accounts.models import Role, User
from wengang.cases.errors import CaseError, ReasonRequired, WrongRole
from wengang.cases.models import Case, State
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.errors import ReceivableError
from wengang.payments.models import (
    Budget,
    LedgerEntry,
    Payment,
    Receivable,
    ReceivableEntry,
    WriteOffProposal,
)

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


def propose(people, receivable, amount_fen, actor=None):
    return services.propose_write_off(receivable, actor=actor or people.agency,
                                      amount_fen=amount_fen, reason="单位已注销，无财产可供执行")


@pytest.mark.parametrize("amount, allowed", [(0, False), (19_999, True), (20_000, True),
                                             (20_001, False)])
def test_a_write_off_is_proposed_for_at_most_what_is_outstanding(people, fund, paid, amount,
                                                                 allowed):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    services.record_repayment(receivable, actor=people.agency, amount_fen=10_000,
                              reference="缴款书")
    if allowed:
        assert propose(people, receivable, amount).status == WriteOffProposal.Status.PENDING
    else:
        with pytest.raises(ReceivableError):
            propose(people, receivable, amount)
        assert not WriteOffProposal.objects.exists()


def test_an_approved_write_off_moves_the_money_and_keeps_the_ledger_balanced(people, fund, paid):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    services.record_repayment(receivable, actor=people.agency, amount_fen=10_000,
                              reference="缴款书")
    proposal = propose(people, receivable, 20_000)
    assert Budget.objects.get(pk=fund.pk).written_off_fen == 0  # nothing until approved
    decided = services.approve_write_off(proposal, actor=people.finance, note="同意")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.entry_id) == (
        WriteOffProposal.Status.APPROVED, people.finance, decided.entry_id)
    entry = ReceivableEntry.objects.get(kind="write_off")
    assert (entry.amount_fen, entry.actor, entry.approver) == (20_000, people.agency,
                                                                people.finance)
    assert Receivable.objects.get(pk=receivable.pk).outstanding_fen == 0
    budget = Budget.objects.get(pk=fund.pk)
    assert (budget.receivable_fen, budget.written_off_fen) == (0, 20_000)
    assert LedgerEntry.objects.filter(kind="write_off", amount_fen=20_000).exists()
    assert balanced(fund.pk)
    with pytest.raises(ReceivableError):  # nothing left to write off
        propose(people, receivable, 1)
    with pytest.raises(ReceivableError):  # decided once only
        services.approve_write_off(proposal, actor=people.finance2)


@pytest.mark.parametrize("approver", ["agency", "agency2", "other_city"])
def test_only_finance_approves_a_write_off(people, fund, paid, approver):
    _, cases = paid
    proposal = propose(people, claim(people, cases[0], 30_000), 30_000)
    with pytest.raises(WrongRole):
        services.approve_write_off(proposal, actor=getattr(people, approver))
    assert WriteOffProposal.objects.get().status == WriteOffProposal.Status.PENDING
    assert not ReceivableEntry.objects.exists()


def test_the_proposer_never_approves_their_own_write_off(people, fund, paid):
    _, cases = paid
    proposal = propose(people, claim(people, cases[0], 30_000), 30_000)
    people.agency.role = Role.FINANCE  # moved to finance since: still not their own
    people.agency.save()
    for decide in (lambda: services.approve_write_off(proposal, actor=people.agency),
                   lambda: services.reject_write_off(proposal, actor=people.agency, reason="x")):
        with pytest.raises(ReceivableError, match="申请人以外"):
            decide()
    assert WriteOffProposal.objects.get().status == WriteOffProposal.Status.PENDING
    assert Budget.objects.get(pk=fund.pk).written_off_fen == 0


def test_finance_of_another_city_cannot_approve(people, fund, paid):
    _, cases = paid
    proposal = propose(people, claim(people, cases[0], 30_000), 30_000)
    outsider = User.objects.create_user("finance-jdz", password=None, role=Role.FINANCE,
                                        region_code="360200")
    with pytest.raises(CaseError):
        services.approve_write_off(proposal, actor=outsider)
    assert WriteOffProposal.objects.get().status == WriteOffProposal.Status.PENDING


def test_a_receivable_has_one_open_proposal_at_a_time(people, fund, paid):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    propose(people, receivable, 10_000)
    with pytest.raises(ReceivableError, match="待批准"):
        propose(people, receivable, 5_000, actor=people.agency2)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds it too
        WriteOffProposal.objects.create(receivable=receivable, amount_fen=1, reason="x",
                                        proposed_at=clock.now(), proposed_by=people.agency2)
    assert WriteOffProposal.objects.count() == 1


def test_a_rejected_proposal_needs_a_reason_and_may_be_proposed_again(people, fund, paid):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    first = propose(people, receivable, 30_000)
    with pytest.raises(ReasonRequired):
        services.reject_write_off(first, actor=people.finance, reason="  ")
    rejected = services.reject_write_off(first, actor=people.finance, reason="单位尚有财产")
    assert (rejected.status, rejected.decision_note) == (WriteOffProposal.Status.REJECTED,
                                                         "单位尚有财产")
    assert Budget.objects.get(pk=fund.pk).written_off_fen == 0
    second = propose(people, receivable, 30_000)
    services.approve_write_off(second, actor=people.finance2)
    assert Receivable.objects.get(pk=receivable.pk).outstanding_fen == 0
    assert balanced(fund.pk)


def test_a_proposal_is_checked_again_when_approved(people, fund, paid):
    """A repayment after the proposal leaves less to write off: approving it would oversettle."""
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    proposal = propose(people, receivable, 30_000)
    services.record_repayment(receivable, actor=people.agency, amount_fen=1, reference="缴款书")
    with pytest.raises(ReceivableError, match="29,999.99|299.99"):
        services.approve_write_off(proposal, actor=people.finance)
    assert WriteOffProposal.objects.get().status == WriteOffProposal.Status.PENDING
    assert balanced(fund.pk)


def test_a_write_off_proposal_needs_a_reason(people, fund, paid):
    _, cases = paid
    receivable = claim(people, cases[0], 30_000)
    with pytest.raises(ReasonRequired):
        services.propose_write_off(receivable, actor=people.agency, amount_fen=1, reason=" ")
    assert not WriteOffProposal.objects.exists()
