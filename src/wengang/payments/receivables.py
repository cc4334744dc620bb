"""Receivables (追回): money a paid unit must give back, and how it comes back.

Raised from an audit finding, an objection upheld after payment or a reversed decision, for
at most what the case was paid (less what was already claimed). Settled by repayments, by
offset against a later refund of the same unit (``batches`` takes it from the next payment),
or written off with a reason by a finance approver other than the officer. Recovered money
returns to the budget it was paid from (ledger: receivable → available).
"""

from datetime import date

from django.db import transaction
from django.db.models import F, Sum

from wengang.accounts.models import Role, User
from wengang.cases.errors import ReasonRequired, WrongRole
from wengang.cases.models import Case
from wengang.cases.workflow import require_region
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan

from . import ledger
from .errors import ReceivableError
from .models import LedgerEntry, Payment, Receivable, ReceivableEntry


def _require_agency(actor: User, region_code: str, step: str) -> None:
    if actor.role != Role.AGENCY or not actor.is_active:
        raise WrongRole(step, str(actor.role), (str(Role.AGENCY.label),))
    require_region(actor, region_code)


def raise_receivable(case: Case, *, actor: User, source: str, amount_fen: int, reason: str,
                     due_on: date) -> Receivable:
    """Claim back up to what the case was paid; the notice goes out with it (``notice_sent_on``)."""
    _require_agency(actor, case.unit.region_code, "确认应追回款")
    if not reason.strip():
        raise ReasonRequired("确认应追回款 / raise a receivable")
    if source not in Receivable.Source.values:
        raise ReceivableError(f"追回来源 {source!r} 不正确", f"unknown receivable source {source!r}")
    with transaction.atomic():
        payment = (Payment.objects.select_related("batch")
                   .filter(case=case, status=Payment.Status.PAID).first())
        if payment is None:
            raise ReceivableError(f"案件 {case.pk} 尚未拨付到账，无需追回",
                                  f"case {case.pk} has not been paid: nothing to claim back")
        budget = ledger.lock_budget(payment.batch.budget_id)
        claimed = case.receivables.aggregate(s=Sum("amount_fen"))["s"] or 0
        room = payment.gross_fen - claimed
        if not 0 < amount_fen <= room:
            raise ReceivableError(
                f"追回金额 {fen_to_yuan(amount_fen)} 元须大于零且不超过可追回的 {fen_to_yuan(room)} 元",
                f"the amount {fen_to_yuan(amount_fen)} must be positive and at most "
                f"{fen_to_yuan(room)} (paid less already claimed)")
        receivable = Receivable.objects.create(
            unit=case.unit, case=case, budget=budget, source=source, reason=reason,
            amount_fen=amount_fen, due_on=due_on, notice_sent_on=clock.today(),
            raised_at=clock.now(), raised_by=actor)
        ledger.post(budget, LedgerEntry.Kind.RECEIVABLE, amount_fen, actor=actor,
                    receivable=receivable, note=reason[:200])
    return receivable


def _lock(receivable: Receivable) -> tuple[Receivable, object]:
    budget = ledger.lock_budget(receivable.budget_id)  # budget first, as reconciliation does
    return Receivable.objects.select_for_update().get(pk=receivable.pk), budget


def _require_open_amount(receivable: Receivable, amount_fen: int, what: str) -> None:
    free = receivable.amount_fen - receivable.settled_fen - receivable.earmarked_fen
    if not 0 < amount_fen <= free:
        raise ReceivableError(
            f"{what}金额 {fen_to_yuan(amount_fen)} 元须大于零且不超过未结清的 {fen_to_yuan(free)} 元"
            + ("（另有待抵扣款）" if receivable.earmarked_fen else ""),
            f"{what}: {fen_to_yuan(amount_fen)} must be positive and at most the "
            f"{fen_to_yuan(free)} outstanding (not held by a pending offset)")


def record_repayment(receivable: Receivable, *, actor: User, amount_fen: int,
                     reference: str) -> ReceivableEntry:
    """The unit paid money back (bank slip ``reference``); it returns to the budget."""
    _require_agency(actor, receivable.unit.region_code, "登记缴回")
    if not reference.strip():
        raise ReasonRequired("登记缴回（凭证号）/ record a repayment (slip number)")
    with transaction.atomic():
        locked, budget = _lock(receivable)
        _require_open_amount(locked, amount_fen, "缴回")
        entry = ReceivableEntry.objects.create(
            receivable=locked, kind=ReceivableEntry.Kind.REPAYMENT, amount_fen=amount_fen,
            at=clock.now(), actor=actor, reference=reference[:200])
        Receivable.objects.filter(pk=locked.pk).update(settled_fen=F("settled_fen") + amount_fen)
        ledger.post(budget, LedgerEntry.Kind.RECOVERY, amount_fen, actor=actor,
                    receivable=locked, note=f"缴回 {reference}"[:200])
    return entry


def write_off(receivable: Receivable, *, actor: User, approver: User, reason: str) -> ReceivableEntry:
    """Write off what is still owed (e.g. the unit was dissolved), approved by finance."""
    _require_agency(actor, receivable.unit.region_code, "核销应追回款")
    if approver.role != Role.FINANCE or not approver.is_active or approver.pk == actor.pk:
        raise WrongRole("批准核销", str(approver.role), (str(Role.FINANCE.label),))
    require_region(approver, receivable.unit.region_code)
    if not reason.strip():
        raise ReasonRequired("核销应追回款 / write off a receivable")
    with transaction.atomic():
        locked, budget = _lock(receivable)
        amount = locked.amount_fen - locked.settled_fen - locked.earmarked_fen
        _require_open_amount(locked, amount, "核销")
        entry = ReceivableEntry.objects.create(
            receivable=locked, kind=ReceivableEntry.Kind.WRITE_OFF, amount_fen=amount,
            at=clock.now(), actor=actor, approver=approver, reference=reason[:200])
        Receivable.objects.filter(pk=locked.pk).update(settled_fen=F("settled_fen") + amount)
        ledger.post(budget, LedgerEntry.Kind.WRITE_OFF, amount, actor=actor, receivable=locked,
                    note=reason[:200])
    return entry
