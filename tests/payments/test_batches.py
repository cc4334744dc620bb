"""Budgets, batches and exports: money reserved within the budget, each case in one live
payment, bank files checked, recorded and immutable once exported."""

import hashlib

import pytest
from django.db import IntegrityError, transaction

from wengang.cases.errors import FieldKeyError, NothingToDo, OutsideRegion, WrongRole
from wengang.cases.models import Case, CaseEvent, State
from wengang.payments import bankfiles, batches, services
from wengang.payments.errors import BankFileInvalid, BatchStateError, BudgetExceeded, BudgetMissing
from wengang.payments.models import Budget, PayingAccount, Payment, PaymentBatch

from .world import CITY, COUNTY, OTHER_COUNTY, PROGRAM

pytestmark = pytest.mark.django_db


def build(people):
    return services.build_batches(actor=people.agency, region_code=CITY, program=PROGRAM)


def test_finance_allocates_a_budget_and_the_ledger_balances(people, fund):
    assert (fund.allocated_fen, fund.available_fen) == (100_000_000, 100_000_000)
    more = services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=5,
                             actor=people.finance)
    assert more.pk == fund.pk and more.allocated_fen == 100_000_005
    assert services.check_ledger(more).balanced
    with pytest.raises(WrongRole):
        services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=5,
                          actor=people.agency)


def test_a_batch_holds_the_payable_cases_of_one_paying_account(people, fund, paying_account,
                                                                make_case):
    county_account = PayingAccount.objects.create(
        region_code=COUNTY, holder_name="东湖区社保局", account_number="3605019999",
        bank_name="工商银行")
    services.allocate(region_code=COUNTY, program=PROGRAM, year=2020, amount_fen=10**7,
                      actor=people.finance)
    in_county = make_case(amount_fen=100_00, region_code=COUNTY)
    elsewhere = [make_case(amount_fen=200_00, region_code=OTHER_COUNTY),
                 make_case(amount_fen=300_01, region_code=OTHER_COUNTY)]
    not_payable = make_case(State.IN_PUBLICITY)
    result = build(people)
    by_account = {b.paying_account_id: b for b in result.batches}
    assert set(by_account) == {county_account.pk, paying_account.pk}
    city_batch = by_account[paying_account.pk]
    assert (city_batch.payment_count, city_batch.total_fen) == (2, 500_01)
    assert list(city_batch.payments.values_list("case_id", flat=True)) == [c.pk for c in elsewhere]
    assert by_account[county_account.pk].payments.get().case_id == in_county.pk
    assert Case.objects.get(pk=in_county.pk).state == State.IN_PAYMENT
    assert Case.objects.get(pk=not_payable.pk).state == State.IN_PUBLICITY
    assert CaseEvent.objects.filter(case=in_county, action="payment_started").count() == 1


def test_the_payment_keeps_a_sealed_copy_of_the_account(people, fund, make_case):
    case = make_case(account="6222020200112233")
    payment = build(people).batches[0].payments.get()
    assert payment.account_masked == "****2233"
    assert "6222020200112233" not in payment.account_sealed
    assert payment.account_number() == "6222020200112233"
    assert payment.account_digest == case.account_digest


def test_a_case_in_a_batch_cannot_enter_another(people, fund, make_case):
    make_case()
    build(people)
    with pytest.raises(NothingToDo):
        build(people)


def test_the_database_refuses_a_second_live_payment_for_a_case(people, fund, make_case):
    make_case()
    payment = build(people).batches[0].payments.get()
    twin = Payment.objects.get(pk=payment.pk)
    twin.pk, twin.sequence, twin.end_to_end_id = None, 2, "WG-TWIN"
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    twin.status = Payment.Status.FAILED
    twin.failure_reason = "测试"
    twin.save()  # a failed payment does not count: the case may be paid again later


def test_building_without_a_budget_changes_nothing(people, paying_account, make_case):
    case = make_case()
    with pytest.raises(BudgetMissing) as refused:
        build(people)
    assert "inclusive-2020 2020" in str(refused.value)
    assert Case.objects.get(pk=case.pk).state == State.PAYABLE
    assert not PaymentBatch.objects.exists()


def test_only_agency_or_finance_of_the_region_build(people, fund, make_case):
    make_case()
    with pytest.raises(OutsideRegion):
        services.build_batches(actor=people.other_city, region_code=CITY, program=PROGRAM)


@pytest.mark.parametrize("budget_left, allowed", [(1, True), (0, True), (-1, False)])
def test_approval_reserves_up_to_exactly_what_remains(people, paying_account, make_case,
                                                       budget_left, allowed):
    """Budget = batch + ``budget_left`` fen: exactly enough passes, one fen short is refused."""
    make_case(amount_fen=123_45)
    make_case(amount_fen=1)
    budget = services.allocate(region_code=CITY, program=PROGRAM, year=2020,
                               amount_fen=123_46 + budget_left, actor=people.finance)
    batch = build(people).batches[0]
    if allowed:
        services.approve_batch(batch, actor=people.finance)
        budget.refresh_from_db()
        assert (budget.available_fen, budget.reserved_fen) == (budget_left, 123_46)
    else:
        with pytest.raises(BudgetExceeded) as refused:
            services.approve_batch(batch, actor=people.finance)
        assert refused.value.shortfall_fen == 1 and "0.01" in str(refused.value)
        budget.refresh_from_db()
        assert (budget.available_fen, budget.reserved_fen) == (123_45, 0)
        assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.DRAFT
    assert services.check_ledger(budget).balanced


def test_approval_is_for_finance(people, fund, make_case):
    make_case()
    batch = build(people).batches[0]
    with pytest.raises(WrongRole):
        services.approve_batch(batch, actor=people.agency)


def test_export_writes_checked_files_and_records_their_fingerprints(exported):
    batch, _cases, export = exported
    assert batch.status == PaymentBatch.Status.EXPORTED and export.first
    xml, csv = export.xml_path.read_bytes(), export.csv_path.read_bytes()
    assert bankfiles.check_pain001(xml) == []
    assert batch.xml_sha256 == hashlib.sha256(xml).hexdigest() == export.xml_sha256
    assert batch.csv_sha256 == hashlib.sha256(csv).hexdigest()
    assert (export.count, export.total_fen) == (3, 350_051)
    assert set(batch.payments.values_list("status", flat=True)) == {Payment.Status.EXPORTED}
    assert "6222000011112222" in csv.decode()  # the bank needs the number itself


def approved_batch(people, make_case) -> PaymentBatch:
    for fen in (100_000, 250_050):
        make_case(amount_fen=fen)
    batch = build(people).batches[0]
    return services.approve_batch(batch, actor=people.finance)


def test_a_first_export_whose_file_breaks_a_rule_changes_nothing(people, fund, make_case,
                                                                  tmp_path, monkeypatch):
    """The payments are marked exported while the files are checked (beside each other): a
    file that fails its check takes that back."""
    batch = approved_batch(people, make_case)
    monkeypatch.setattr(bankfiles, "check_pain001", lambda data: ["CtrlSum 不符 / CtrlSum differs"])
    with pytest.raises(BankFileInvalid) as refused:
        services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    assert refused.value.problems == ["CtrlSum 不符 / CtrlSum differs"]
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.APPROVED
    assert set(batch.payments.values_list("status", flat=True)) == {Payment.Status.PENDING}
    assert not list(tmp_path.iterdir())


def test_an_error_while_building_the_files_changes_nothing(people, fund, make_case, tmp_path,
                                                            monkeypatch):
    batch = approved_batch(people, make_case)

    def unopenable(sealed, *, owner):
        raise FieldKeyError("密钥不在密钥环中", "the key is not in the keyring")

    monkeypatch.setattr(batches, "open_account", unopenable)
    with pytest.raises(FieldKeyError):
        services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.APPROVED
    assert set(batch.payments.values_list("status", flat=True)) == {Payment.Status.PENDING}
    assert not list(tmp_path.iterdir())


def test_a_re_export_is_byte_identical(people, exported, tmp_path):
    batch, _, first = exported
    again = services.export_batch(batch, actor=people.finance, out_dir=tmp_path / "again")
    assert not again.first
    assert again.xml_path.read_bytes() == first.xml_path.read_bytes()
    assert again.csv_path.read_bytes() == first.csv_path.read_bytes()


def test_an_exported_batch_cannot_be_approved_or_cancelled(people, exported):
    batch, _, _ = exported
    with pytest.raises(BatchStateError):
        services.approve_batch(batch, actor=people.finance)
    with pytest.raises(BatchStateError):
        services.cancel_batch(batch, actor=people.agency, reason="想撤回")
    assert PaymentBatch.objects.get(pk=batch.pk).status == PaymentBatch.Status.EXPORTED


def test_a_draft_batch_cannot_be_exported(people, fund, make_case, tmp_path):
    make_case()
    batch = build(people).batches[0]
    with pytest.raises(BatchStateError):
        services.export_batch(batch, actor=people.agency, out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_cancelling_an_approved_batch_releases_the_money_and_the_cases(people, fund, make_case):
    case = make_case(amount_fen=5_000)
    batch = build(people).batches[0]
    services.approve_batch(batch, actor=people.finance)
    services.cancel_batch(batch, actor=people.agency, reason="账户待核实")
    budget = Budget.objects.get(pk=fund.pk)
    assert (budget.available_fen, budget.reserved_fen) == (100_000_000, 0)
    assert Case.objects.get(pk=case.pk).state == State.PAYABLE
    assert batch.payments.get().status == Payment.Status.CANCELLED
    assert services.check_ledger(budget).balanced
    assert len(build(people).batches) == 1  # and it can be batched again


def test_the_ledger_refuses_edits_and_names_itself(fund):
    """Entries are the books: an edit or a removal is refused, naming the ledger (not cases)."""
    from wengang.cases.errors import AppendOnly
    from wengang.payments.models import LedgerEntry

    entry = LedgerEntry.objects.order_by("pk").first()
    entry.note = "改账"
    with pytest.raises(AppendOnly, match="资金台账分录") as raised:
        entry.save()
    assert "ledger entries" in raised.value.en
    with pytest.raises(AppendOnly, match="资金台账分录"):
        LedgerEntry.objects.filter(pk=entry.pk).update(note="改账")
    with pytest.raises(AppendOnly, match="资金台账分录"):
        entry.delete()
