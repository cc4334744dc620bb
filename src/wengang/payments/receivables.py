"""Receivables (追回): money a paid unit (or person) must give back, and how it comes back.

Raised from an audit finding, an objection upheld after payment or a reversed decision, for
at most what the case was paid (less what was already claimed). Settled by repayments, by
offset against a later refund of the same unit (``batches`` takes it from the next payment),
or written off in two steps: an agency officer proposes (amount, reason), a finance approver
other than the proposer approves or rejects with a reason. Recovered money returns to the
budget it was paid from (ledger: receivable → available); written-off money goes to
"written off" (receivable → written off).
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
from .models import LedgerEntry, Payment, Receivable, ReceivableEntry, WriteOffProposal


def _require_agency(actor: User, region_code: str, step: str) -> None:
    if actor.role != Role.AGENCY or not actor.is_active:
        raise WrongRole(step, str(actor.role), (str(Role.AGENCY.label),))
    require_region(actor, region_code)


def raise_receivable(case: Case, *, actor: User, source: str, amount_fen: int, reason: str,
                     due_on: date) -> Receivable:
    """Claim back up to what the case was paid; the notice goes out with it (``notice_sent_on``)."""
    _require_agency(actor, case.beneficiary_region_code, "确认应追回款")
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
            unit=case.unit, person=case.person, case=case, budget=budget, source=source, reason=reason,
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
    _require_agency(actor, receivable.debtor_region_code, "登记缴回")
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


def propose_write_off(receivable: Receivable, *, actor: User, amount_fen: int,
                      reason: str) -> WriteOffProposal:
    """Ask finance to write off ``amount_fen`` of what is still owed (e.g. the unit dissolved)."""
    _require_agency(actor, receivable.debtor_region_code, "申请核销")
    if not reason.strip():
        raise ReasonRequired("申请核销 / propose a write-off")
    with transaction.atomic():
        locked, _budget = _lock(receivable)
        _require_open_amount(locked, amount_fen, "核销")
        # The partial unique constraint is the guard; this check only gives the clear message.
        if locked.write_off_proposals.filter(status=WriteOffProposal.Status.PENDING).exists():
            raise ReceivableError(f"应追回款 #{locked.pk} 已有待批准的核销申请，请先批准或驳回",
                                  f"receivable {locked.pk} already has an open write-off "
                                  "proposal: approve or reject it first")
        return WriteOffProposal.objects.create(
            receivable=locked, amount_fen=amount_fen, reason=reason, proposed_at=clock.now(),
            proposed_by=actor)


def _require_approver(proposal: WriteOffProposal, actor: User, step: str) -> None:
    """Finance of the receivable's region, and never the proposer: no one writes off alone."""
    if actor.role != Role.FINANCE or not actor.is_active:
        raise WrongRole(step, str(actor.role), (str(Role.FINANCE.label),))
    if actor.pk == proposal.proposed_by_id:
        raise ReceivableError("核销须由申请人以外的财政人员批准",
                              "a write-off is decided by someone other than its proposer")
    require_region(actor, proposal.receivable.debtor_region_code)


def _lock_pending(proposal: WriteOffProposal) -> WriteOffProposal:
    locked = WriteOffProposal.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != WriteOffProposal.Status.PENDING:
        raise ReceivableError(f"核销申请 #{locked.pk} 已{locked.get_status_display()}，不能再处理",
                              f"write-off proposal {locked.pk} is already {locked.status}")
    return locked


def approve_write_off(proposal: WriteOffProposal, *, actor: User,
                      note: str = "") -> WriteOffProposal:
    """Enter the proposed write-off: the amount must still be outstanding when approved."""
    _require_approver(proposal, actor, "批准核销")
    with transaction.atomic():
        locked_receivable, budget = _lock(proposal.receivable)
        locked = _lock_pending(proposal)
        # A repayment or an offset may have come in since the proposal: check again.
        _require_open_amount(locked_receivable, locked.amount_fen, "核销")
        entry = ReceivableEntry.objects.create(
            receivable=locked_receivable, kind=ReceivableEntry.Kind.WRITE_OFF,
            amount_fen=locked.amount_fen, at=clock.now(), actor=locked.proposed_by,
            approver=actor, reference=locked.reason[:200])
        Receivable.objects.filter(pk=locked_receivable.pk).update(
            settled_fen=F("settled_fen") + locked.amount_fen)
        ledger.post(budget, LedgerEntry.Kind.WRITE_OFF, locked.amount_fen, actor=actor,
                    receivable=locked_receivable, note=locked.reason[:200])
        locked.status, locked.entry = WriteOffProposal.Status.APPROVED, entry
        locked.decided_at, locked.decided_by, locked.decision_note = clock.now(), actor, note[:200]
        locked.save(update_fields=["status", "entry", "decided_at", "decided_by", "decision_note"])
    return locked


def reject_write_off(proposal: WriteOffProposal, *, actor: User, reason: str) -> WriteOffProposal:
    """Refuse the write-off with a reason; the officer may propose again."""
    _require_approver(proposal, actor, "驳回核销")
    if not reason.strip():
        raise ReasonRequired("驳回核销 / reject a write-off")
    with transaction.atomic():
        locked = _lock_pending(proposal)
        locked.status = WriteOffProposal.Status.REJECTED
        locked.decided_at, locked.decided_by = clock.now(), actor
        locked.decision_note = reason[:200]
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    return locked
