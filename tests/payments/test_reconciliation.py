"""Reconciliation: good return files settle each payment once; bad ones change nothing; a
failed payment is re-paid only to an account verified after the failure."""

import pytest

from wengang.cases.errors import NothingToDo, OutsideRegion
from wengang.cases.models import Case, CaseEvent, State
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.errors import ReturnFileRejected
from wengang.payments.models import Budget, LedgerEntry, Payment, PaymentBatch, ReturnFile

from .returns import csv_return, outcome_rows, pain002_return
from .world import CITY, PROGRAM

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything reconciliation may change, to prove a refused file changed nothing."""
    return (list(Payment.objects.order_by("pk").values_list("status", "settled_at")),
            list(Case.objects.order_by("pk").values_list("state", "version")),
            list(Budget.objects.values_list("available_fen", "reserved_fen", "paid_fen")),
            LedgerEntry.objects.count(), CaseEvent.objects.count(), ReturnFile.objects.count(),
            list(PaymentBatch.objects.values_list("status", flat=True)))


@pytest.mark.parametrize("write", [csv_return, pain002_return], ids=["csv", "pain.002"])
def test_a_return_file_pays_and_fails_payments_and_posts_the_ledger(people, fund, exported, write):
    batch, cases, _ = exported
    rows = outcome_rows(batch, failed={cases[1].pk: "账户已销户"})
    report = services.apply_return(write(batch, rows), name="return", actor=people.agency)
    assert (report.paid_count, report.paid_fen) == (2, 100_001)
    assert (report.failed_count, report.failed_fen) == (1, 250_050)
    states = {c.pk: Case.objects.get(pk=c.pk).state for c in cases}
    assert states == {cases[0].pk: State.PAID, cases[1].pk: State.PAYMENT_FAILED,
                      cases[2].pk: State.PAID}
    failed = Payment.objects.get(case=cases[1])
    assert (failed.status, failed.failure_code, failed.failure_reason) == ("failed", "AC04",
                                                                           "账户已销户")
    assert "账户已销户" in CaseEvent.objects.filter(case=cases[1]).last().reason
    budget = Budget.objects.get(pk=fund.pk)
    assert (budget.paid_fen, budget.reserved_fen) == (100_001, 0)
    assert budget.available_fen == 100_000_000 - 100_001
    assert services.check_ledger(budget).balanced
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.RECONCILED


def test_each_case_records_the_state_it_left_and_its_own_reason(people, exported):
    batch, cases, _ = exported
    rows = outcome_rows(batch, failed={cases[0].pk: "收款账号不存在", cases[2].pk: "户名与账号不符"})
    services.apply_return(pain002_return(batch, rows), name="return", actor=people.agency)
    events = [CaseEvent.objects.filter(case=c).order_by("pk").last() for c in cases]
    assert [(e.state_before, e.state_after) for e in events] == [
        (State.IN_PAYMENT, State.PAYMENT_FAILED), (State.IN_PAYMENT, State.PAID),
        (State.IN_PAYMENT, State.PAYMENT_FAILED)]
    assert "收款账号不存在" in events[0].reason and "户名与账号不符" not in events[0].reason
    assert "户名与账号不符" in events[2].reason
    assert events[1].reason == "银行回单确认到账"
    assert [Case.objects.get(pk=c.pk).version for c in cases] == [c.version + 2 for c in cases]


def test_the_same_file_applied_twice_changes_nothing_the_second_time(people, exported):
    batch, _, _ = exported
    data = csv_return(batch, outcome_rows(batch))
    services.apply_return(data, name="r1", actor=people.agency)
    before = snapshot()
    again = services.apply_return(data, name="r1-again", actor=people.agency)
    assert again.already_applied and snapshot() == before


def test_returns_may_come_in_parts(people, exported):
    batch, _cases, _ = exported
    rows = outcome_rows(batch)
    services.apply_return(csv_return(batch, rows[:1]), name="part 1", actor=people.agency)
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.EXPORTED
    services.apply_return(csv_return(batch, rows[1:]), name="part 2", actor=people.agency)
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.RECONCILED
    assert Case.objects.filter(state=State.PAID).count() == 3


def _bad(batch, rows, kind):
    if kind == "unknown reference":
        return csv_return(batch, rows + [("WG9999999999", 100, "")])
    if kind == "duplicate reference":
        return csv_return(batch, rows + rows[:1])
    if kind == "amount one fen more":
        e2e, fen, reason = rows[0]
        return csv_return(batch, [(e2e, fen + 1, reason)] + rows[1:])
    if kind == "amount one fen less":
        e2e, fen, reason = rows[0]
        return csv_return(batch, [(e2e, fen - 1, reason)] + rows[1:])
    if kind == "wrong control sum":
        return pain002_return(batch, rows, total_fen=batch.total_fen + 1)
    if kind == "wrong count":
        return pain002_return(batch, rows, count=batch.payment_count - 1)
    if kind == "truncated xml":
        data = pain002_return(batch, rows)
        return data[: len(data) - 40]
    if kind == "another batch's message id":
        return csv_return(batch, rows).replace(batch.message_id.encode(), b"WG-360100-99999999")
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", [
    "unknown reference", "duplicate reference", "amount one fen more", "amount one fen less",
    "wrong control sum", "wrong count", "truncated xml", "another batch's message id"])
def test_a_bad_return_file_is_rejected_with_a_report_and_changes_nothing(people, exported, kind,
                                                                         tmp_path):
    batch, _, _ = exported
    data = _bad(batch, outcome_rows(batch), kind)
    before = snapshot()
    with pytest.raises(ReturnFileRejected) as rejected:
        services.apply_return(data, name="bad.xml", actor=people.agency)
    assert rejected.value.problems and "nothing changed" in str(rejected.value)
    assert snapshot() == before


def test_a_payment_already_settled_cannot_be_settled_again(people, exported):
    batch, _, _ = exported
    rows = outcome_rows(batch)
    services.apply_return(csv_return(batch, rows[:1]), name="first", actor=people.agency)
    before = snapshot()
    with pytest.raises(ReturnFileRejected) as rejected:  # says paid first, now failed
        services.apply_return(csv_return(batch, [(rows[0][0], rows[0][1], "退回")]),
                              name="second", actor=people.agency)
    assert "not awaiting the bank" in rejected.value.problems[0]
    assert snapshot() == before


def test_a_failed_case_is_repaid_only_after_a_verified_account_change(people, fund, exported):
    batch, cases, _ = exported
    services.apply_return(csv_return(batch, outcome_rows(batch, failed={cases[1].pk: "户名不符"})),
                          name="r", actor=people.agency)
    build = lambda: services.build_batches(actor=people.agency, region_code=CITY,
                                           program=PROGRAM)
    with pytest.raises(NothingToDo):
        build()  # no new account yet
    unit = cases[1].unit
    change = services.request_account_change(
        unit, actor=people.enterprise_for(unit), account_number="6228480000001111",
        bank_name="农业银行", holder_name=unit.name, today=clock.today())
    with pytest.raises(NothingToDo):
        build()  # asked, not verified
    with clock.frozen(change.verifiable_from):
        services.decide_account_change(change, actor=people.agency, approve=True, note="电话核实")
        batch2 = build().batches[0]
    payment = batch2.payments.get()
    assert payment.case_id == cases[1].pk and payment.account_change_id == change.pk
    noted = CaseEvent.objects.filter(case=cases[1], action="account_changed").get()
    assert (noted.state_before, noted.state_after) == (State.PAYMENT_FAILED, State.PAYMENT_FAILED)
    assert "****1111" in noted.reason and noted.actor == people.agency
    assert payment.account_number() == "6228480000001111" and payment.payee_bank == "农业银行"
    services.approve_batch(batch2, actor=people.finance)
    assert Payment.objects.filter(case=cases[1]).count() == 2
    assert services.check_ledger(Budget.objects.get(pk=fund.pk)).balanced


def test_verification_before_the_failure_does_not_count(people, fund, make_case, tmp_path):
    """An account verified before the failure is the one that failed: not a fix."""
    case = make_case()
    unit = case.unit
    change = services.request_account_change(
        unit, actor=people.enterprise_for(unit), account_number="6228480000002222",
        bank_name="农业银行", holder_name=unit.name)
    with clock.frozen(change.verifiable_from):
        services.decide_account_change(change, actor=people.agency, approve=True, note="核实")
        batch = services.build_batches(actor=people.agency, region_code=CITY,
                                       program=PROGRAM).batches[0]
        services.approve_batch(batch, actor=people.finance)
        services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
        services.apply_return(csv_return(batch, outcome_rows(batch, failed={case.pk: "账号错误"})),
                              name="r", actor=people.agency)
        with pytest.raises(NothingToDo):
            services.build_batches(actor=people.agency, region_code=CITY, program=PROGRAM)


def test_reconciliation_is_for_the_region_of_the_batch(people, exported):
    batch, _, _ = exported
    before = snapshot()
    with pytest.raises(OutsideRegion):
        services.apply_return(csv_return(batch, outcome_rows(batch)), name="r",
                              actor=people.other_city)
    assert snapshot() == before
