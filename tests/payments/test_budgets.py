"""Finance enters the budget per region × program × refund year, raises it, and lists what
remains; a budget that names no real region, program or refund year is refused."""

import pytest
from click.testing import CliRunner

from wengang.cases.errors import OutsideRegion, WrongRole
from wengang.cli import main
from wengang.core.errors import MoneyError
from wengang.payments import services
from wengang.payments.errors import BudgetKeyInvalid
from wengang.payments.models import Budget, LedgerEntry

from .world import CITY, PROGRAM

pytestmark = pytest.mark.django_db


def allocate(people, **options):
    values = {"region_code": CITY, "program": PROGRAM, "year": 2020, "amount_fen": 100_00,
              "actor": people.finance} | options
    return services.allocate(**values)


def test_raising_a_budget_adds_to_the_same_one_and_the_books_balance(people):
    allocate(people, amount_fen=100_00)
    budget = allocate(people, amount_fen=1)
    assert Budget.objects.count() == 1
    assert (budget.allocated_fen, budget.available_fen) == (100_01, 100_01)
    assert list(budget.entries.values_list("kind", "amount_fen")) == [
        (LedgerEntry.Kind.ALLOCATION, 100_00), (LedgerEntry.Kind.ALLOCATION, 1)]
    assert services.check_ledger(budget).balanced


@pytest.mark.parametrize("amount_fen, allowed", [(1, True), (0, False), (-1, False)])
def test_an_allocation_must_be_positive(people, amount_fen, allowed):
    if allowed:
        assert allocate(people, amount_fen=amount_fen).allocated_fen == 1
    else:
        with pytest.raises(MoneyError):
            allocate(people, amount_fen=amount_fen)
        assert not Budget.objects.exists()


@pytest.mark.parametrize("options, words", [
    ({"year": 2019}, "2020"), ({"year": 2021}, "2020"),
    ({"program": "inclusive-2002"}, "inclusive-2020"),  # names the programs there are
    ({"region_code": "360199"}, "360199"),
])
def test_a_budget_for_no_real_program_year_or_region_is_refused(people, options, words):
    with pytest.raises(BudgetKeyInvalid) as refused:
        allocate(people, **options)
    assert words in refused.value.zh and refused.value.en and refused.value.code == "budget_key"
    assert not Budget.objects.exists() and not LedgerEntry.objects.exists()


def test_only_finance_of_the_region_enters_budgets(people):
    with pytest.raises(WrongRole):
        allocate(people, actor=people.agency)
    with pytest.raises(OutsideRegion):
        allocate(people, region_code="360200")  # 景德镇: outside the city's finance
    assert not Budget.objects.exists()


def run(*args, actor="finance"):
    return CliRunner().invoke(main, ["payments", "budget", *args], catch_exceptions=False,
                              env={"WENGANG_ACTOR": actor, "COLUMNS": "160"})  # a wide table


def test_finance_enters_and_lists_budgets_from_the_command_line(people, make_case, fund):
    make_case(amount_fen=250_000_00)
    batch = services.build_batches(actor=people.agency, region_code=CITY,
                                   program=PROGRAM).batches[0]
    services.approve_batch(batch, actor=people.finance)
    raised = run("allocate", "--region", CITY, "--program", PROGRAM, "--year", "2020",
                 "--amount", "0.01")
    assert raised.exit_code == 0 and "1,000,000.01" in raised.output
    listed = run("list", "--region", CITY, "--program", PROGRAM, "--year", "2020")
    assert listed.exit_code == 0, listed.output
    # allocated 1,000,000.01; reserved 250,000.00; remaining 750,000.01; books balance
    for text in ("1,000,000.01", "750,000.01", "250,000.00", "平衡"):
        assert text in listed.output, (text, listed.output)
    assert "750,000.01" not in run("list", "--region", "360200").output
    refused = run("allocate", "--region", CITY, "--program", PROGRAM, "--year", "2021",
                  "--amount", "1.00")
    assert refused.exit_code == 1 and "budget_key" in refused.output
