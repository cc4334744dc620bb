"""Property: whatever operators and the bank do, and in whatever order — approvals, exports,
returns (paid or failed), account changes and re-payments, cancellations, clawbacks and
repayments — nothing is paid beyond the budget, no case is paid twice, every case agrees with
its payments, the ledger balances, and a refused step changes nothing."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wengang.cases.errors import CaseError
from wengang.cases.models import Case, State
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.models import (
    Budget,
    LedgerEntry,
    Payment,
    PaymentBatch,
    Receivable,
    ReceivableEntry,
)

from .returns import csv_return, outcome_rows
from .world import CITY, PROGRAM, TODAY

pytestmark = pytest.mark.django_db

CASE_STATE_OF_PAYMENT = {"pending": State.IN_PAYMENT, "exported": State.IN_PAYMENT,
                         "paid": State.PAID, "failed": State.PAYMENT_FAILED}

# Each step: (name, which batch/case/receivable, a number: failure mask, percent or amount).
# The main path comes twice in the list, so random sequences reach exports and returns often.
STEPS = ("build", "approve", "approve", "export", "export", "return", "return", "new_account",
         "claw", "repay", "cancel", "allocate")
operations = st.tuples(st.sampled_from(STEPS), st.integers(0, 3), st.integers(0, 99))


class Rollback(Exception):
    """Undo one example's changes: examples share the test's database."""


def snapshot():
    return (list(Payment.objects.order_by("pk").values_list("status", "offset_fen")),
            list(Case.objects.order_by("pk").values_list("state", "version")),
            list(Budget.objects.order_by("pk").values_list(
                "allocated_fen", "available_fen", "reserved_fen", "paid_fen", "receivable_fen")),
            list(Receivable.objects.order_by("pk").values_list("settled_fen", "earmarked_fen")),
            LedgerEntry.objects.count(), list(PaymentBatch.objects.values_list("status", flat=True)))


def _pick(items, index):
    return items[index % len(items)] if items else None


def _batch(index: int, preferred: str):
    """A batch in the status the step needs if there is one (deep paths get exercised), else any
    (the step is then refused, which must change nothing)."""
    batches = list(PaymentBatch.objects.order_by("pk"))
    return _pick([b for b in batches if b.status == preferred] or batches, index)


def _case(index: int, preferred: str):
    cases = list(Case.objects.select_related("unit").order_by("pk"))
    return _pick([c for c in cases if c.state == preferred] or cases, index)


def act(operation, *, people, tmp_path) -> bool:
    """Take one step; False if there was nothing to take it on."""
    name, *args = operation
    if name == "build":
        services.build_batches(actor=people.agency, region_code=CITY, program=PROGRAM)
    elif name == "allocate":
        services.allocate(region_code=CITY, program=PROGRAM, year=2020,
                          amount_fen=1 + args[1] * 3_000, actor=people.finance)
    elif name == "approve" and (batch := _batch(args[0], "draft")):
        services.approve_batch(batch, actor=people.finance)
    elif name == "cancel" and (batch := _batch(args[0], "draft")):
        services.cancel_batch(batch, actor=people.agency, reason="重新核对")
    elif name == "export" and (batch := _batch(args[0], "approved")):
        services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    elif name == "return" and (batch := _batch(args[0], "exported")):
        rows = [(e2e, fen, "账户已销户" if args[1] >> (i % 6) & 1 else "")
                for i, (e2e, fen, _) in enumerate(outcome_rows(batch))]
        services.apply_return(csv_return(batch, rows), name="r", actor=people.agency)
    elif name == "new_account" and (case := _case(args[0], State.PAYMENT_FAILED)):
        change = services.request_account_change(
            case.unit, actor=people.enterprise_for(case.unit), bank_name="农业银行",
            account_number=f"62284800{case.pk:08d}", holder_name=case.unit.name)
        clock.set_today(change.verifiable_from)
        services.decide_account_change(change, actor=people.agency, approve=True, note="核实")
    elif name == "claw" and (case := _case(args[0], State.PAID)):
        services.raise_receivable(case, actor=people.agency, source="audit_finding",
                                  amount_fen=case.amount_fen * (args[1] + 1) // 100, reason="审计",
                                  due_on=clock.today() + timedelta(days=30))
    elif name == "repay" and (receivable := _pick(list(Receivable.objects.order_by("pk")),
                                                  args[0])):
        services.record_repayment(receivable, actor=people.agency,
                                  amount_fen=receivable.amount_fen * (args[1] + 1) // 100,
                                  reference="缴款书")
    else:
        return False
    return True


def assert_invariants() -> None:
    budget = Budget.objects.get()
    check = services.check_ledger(budget)
    assert check.balanced, check.problems
    paid = Payment.objects.filter(status="paid").aggregate(s=Sum("gross_fen"))["s"] or 0
    recovered = (ReceivableEntry.objects.exclude(kind="write_off")
                 .aggregate(s=Sum("amount_fen"))["s"] or 0)
    assert paid <= budget.allocated_fen + recovered
    assert not Payment.objects.filter(status="paid").values("case_id").annotate(
        n=Count("pk")).filter(n__gt=1).exists()
    assert not Payment.objects.filter(status__in=Payment.LIVE).values("case_id").annotate(
        n=Count("pk")).filter(n__gt=1).exists()
    for case in Case.objects.all():
        latest = case.payments.exclude(status="cancelled").order_by("-pk").first()
        expected = CASE_STATE_OF_PAYMENT[latest.status] if latest else State.PAYABLE
        assert case.state == expected, (case.pk, case.state, latest and latest.status)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(budget_fen=st.integers(0, 2_000_000), amounts=st.lists(st.integers(1, 300_000),
                                                           min_size=1, max_size=6),
       steps=st.lists(operations, min_size=6, max_size=25))
def test_any_sequence_keeps_the_money_right(people, paying_account, make_case, tmp_path,
                                             budget_fen, amounts, steps):
    try:
        with transaction.atomic(), clock.frozen(TODAY):
            services.allocate(region_code=CITY, program=PROGRAM, year=2020,
                              amount_fen=budget_fen + 1, actor=people.finance)
            for fen in amounts:
                make_case(amount_fen=fen)
            for operation in steps:
                before = snapshot()
                try:
                    if act(operation, people=people, tmp_path=tmp_path):
                        event(f"{operation[0]} done")
                except CaseError as refused:
                    event(f"{operation[0]} refused: {refused.code}")
                    assert snapshot() == before, operation  # a refusal changes nothing
                assert_invariants()
            raise Rollback
    except Rollback:
        pass
