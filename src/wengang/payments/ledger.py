"""Fund budgets and their double-entry ledger.

Every movement of money is one ``LedgerEntry`` from one ledger account to another, written in
the same transaction as the budget's running balances (``post``); the database refuses a
negative balance and balances that do not add up to the allocation. ``check_ledger`` proves the
books three ways: entries against the balances, balances against the payments and receivables
they stand for, and nothing paid beyond the budget.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum

from wengang.accounts.models import Role, User
from wengang.cases.errors import WrongRole
from wengang.cases.workflow import require_region
from wengang.core.clock import clock
from wengang.core.errors import CoreError, MoneyError
from wengang.core.money import fen_to_yuan
from wengang.core.regions import get_region
from wengang.policy import load_policy

from .errors import BudgetExceeded, BudgetKeyInvalid, BudgetMissing
from .models import (
    Budget,
    LedgerAccount,
    LedgerEntry,
    Payment,
    PaymentBatch,
    Receivable,
    ReceivableEntry,
)

_BALANCE_FIELD = {
    LedgerAccount.AVAILABLE: "available_fen",
    LedgerAccount.RESERVED: "reserved_fen",
    LedgerAccount.PAID: "paid_fen",
    LedgerAccount.RECEIVABLE: "receivable_fen",
    LedgerAccount.WRITTEN_OFF: "written_off_fen",
}


def post(budget: Budget, kind: LedgerEntry.Kind, amount_fen: int, *, actor: User, note: str = "",
         **refs) -> LedgerEntry | None:
    """Move ``amount_fen`` as ``kind`` says and update the budget's balances with it.

    The caller holds the budget row lock inside its transaction. Zero moves nothing.
    """
    if amount_fen == 0:
        return None
    source, target = LedgerEntry.MOVES[kind]
    changes = {}
    if source in _BALANCE_FIELD:
        changes[_BALANCE_FIELD[source]] = F(_BALANCE_FIELD[source]) - amount_fen
    else:  # from the fund: the allocation grows
        changes["allocated_fen"] = F("allocated_fen") + amount_fen
    changes[_BALANCE_FIELD[target]] = F(_BALANCE_FIELD[target]) + amount_fen
    Budget.objects.filter(pk=budget.pk).update(**changes)
    return LedgerEntry.objects.create(budget=budget, at=clock.now(), kind=kind,
                                      from_account=source, to_account=target,
                                      amount_fen=amount_fen, actor=actor, note=note, **refs)


def lock_budget(budget_id: int) -> Budget:
    return Budget.objects.select_for_update().get(pk=budget_id)


def budget_for(region_code: str, program: str, year: int) -> Budget:
    budget = Budget.objects.filter(region_code=region_code, program=program, year=year).first()
    if budget is None:
        raise BudgetMissing(region_code, program, year)
    return budget


def _require_budget_key(region_code: str, program: str, year: int) -> None:
    """A budget is for a region that exists and a program's own refund year: a typo would
    open a budget no batch ever draws on while the real one stays short."""
    try:
        get_region(region_code)
        refund_year = load_policy().program(program).refund_year
    except CoreError as error:  # an unknown region or program, named by the message
        raise BudgetKeyInvalid(f"无法录入预算：{error.zh}", f"no budget entered: {error.en}") from None
    if year != refund_year:
        raise BudgetKeyInvalid(f"项目 {program} 的返还年度是 {refund_year} 年，不能录入 {year} 年度的预算",
                               f"program {program} refunds for {refund_year}, not {year}: no "
                               f"budget for {year}")


def allocate(*, region_code: str, program: str, year: int, amount_fen: int, actor: User,
             note: str = "") -> Budget:
    """Finance allots money from the UI fund (a new budget, or more for an existing one)."""
    if actor.role != Role.FINANCE:
        raise WrongRole("录入资金预算", str(actor.role), (str(Role.FINANCE.label),))
    _require_budget_key(region_code, program, year)
    require_region(actor, region_code)
    if amount_fen <= 0:
        raise MoneyError(f"预算金额须大于零（{fen_to_yuan(amount_fen)}）",
                         f"a budget allocation must be positive, not {fen_to_yuan(amount_fen)}",
                         code="budget_amount")
    with transaction.atomic():
        budget, _ = Budget.objects.get_or_create(
            region_code=region_code, program=program, year=year,
            defaults={"created_at": clock.now(), "created_by": actor})
        budget = lock_budget(budget.pk)
        post(budget, LedgerEntry.Kind.ALLOCATION, amount_fen, actor=actor, note=note)
        budget.refresh_from_db()
        return budget


def reserve(budget: Budget, amount_fen: int, *, actor: User, batch: PaymentBatch) -> None:
    """Reserve a batch's money; refuse (naming the shortfall) what the budget cannot cover."""
    if amount_fen > budget.available_fen:
        raise BudgetExceeded(str(budget), amount_fen, budget.available_fen)
    post(budget, LedgerEntry.Kind.RESERVATION, amount_fen, actor=actor, batch=batch,
         note=f"拨付批次 #{batch.pk}")


@dataclass(frozen=True)
class LedgerCheck:
    budget: Budget
    problems: list[str]

    @property
    def balanced(self) -> bool:
        return not self.problems


def check_ledger(budget: Budget) -> LedgerCheck:
    """Prove one budget's books; every discrepancy is named in ``problems``."""
    budget.refresh_from_db()
    problems: list[str] = []
    balances: dict[str, int] = defaultdict(int)
    for source, target, amount in (LedgerEntry.objects.filter(budget=budget)
                                   .values_list("from_account", "to_account")
                                   .annotate(total=Sum("amount_fen"))):
        balances[source] -= amount
        balances[target] += amount
    if sum(balances.values()) != 0:
        problems.append("借贷不平 / entries do not balance")
    if -balances[LedgerAccount.FUND] != budget.allocated_fen:
        problems.append(f"预算总额 {budget.allocated_fen} ≠ 下达合计 {-balances[LedgerAccount.FUND]} / "
                        "allocation differs from its entries")
    for account, field_name in _BALANCE_FIELD.items():
        if balances[account] != getattr(budget, field_name):
            problems.append(f"{account}: 余额 {getattr(budget, field_name)} ≠ 台账 {balances[account]} / "
                            "balance differs from the entries")

    payments = Payment.objects.filter(batch__budget=budget)
    reserved = payments.filter(
        status__in=[Payment.Status.PENDING, Payment.Status.EXPORTED],
        batch__status__in=[PaymentBatch.Status.APPROVED, PaymentBatch.Status.EXPORTED,
                           PaymentBatch.Status.RECONCILED]).aggregate(s=Sum("gross_fen"))["s"] or 0
    paid = payments.filter(status=Payment.Status.PAID).aggregate(s=Sum("gross_fen"))["s"] or 0
    receivables = Receivable.objects.filter(budget=budget)
    raised = receivables.aggregate(s=Sum("amount_fen"))["s"] or 0
    outstanding = receivables.aggregate(s=Sum(F("amount_fen") - F("settled_fen")))["s"] or 0
    entries = ReceivableEntry.objects.filter(receivable__budget=budget)
    written_off = entries.filter(kind=ReceivableEntry.Kind.WRITE_OFF).aggregate(
        s=Sum("amount_fen"))["s"] or 0
    recovered = entries.exclude(kind=ReceivableEntry.Kind.WRITE_OFF).aggregate(
        s=Sum("amount_fen"))["s"] or 0
    for label, expected, actual in (
            ("已预留 reserved", reserved, budget.reserved_fen),
            ("已拨付 paid", paid - raised, budget.paid_fen),
            ("应追回 receivable", outstanding, budget.receivable_fen),
            ("已核销 written off", written_off, budget.written_off_fen)):
        if expected != actual:
            problems.append(f"{label}: 台账 {fen_to_yuan(actual)} ≠ 业务记录 {fen_to_yuan(expected)} / "
                            "ledger differs from the payments and receivables")
    # Recovered money may be paid out again; beyond that, nothing is paid past the allocation.
    if paid + reserved > budget.allocated_fen + recovered:
        problems.append(f"拨付及预留 {fen_to_yuan(paid + reserved)} 超出预算 "
                        f"{fen_to_yuan(budget.allocated_fen)} 与追回 {fen_to_yuan(recovered)} 之和 / "
                        "more paid and reserved than allocated plus recovered")
    return LedgerCheck(budget, problems)
