"""What auditors see and find, and what follows: the improper-payment rate and receivables.

A third-party auditor sees only the cases of the samples assigned to it, with the phone and
account number masked; the full values cost a reason, recorded as a ``web.Disclosure`` (and
so in the audit chain). An improper finding becomes a receivable in ``payments`` through
``raise_receivable_for`` — the one place the two apps meet.
"""

import math
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Count, Sum

from wengang.accounts.models import Role, User
from wengang.cases.models import Case
from wengang.core.clock import clock
from wengang.core.ids import mask_phone
from wengang.payments import receivables
from wengang.payments.models import Receivable
from wengang.web.models import Disclosure

from . import audit
from .errors import FindingInvalid, NotAllowed, NotInSample, PlanInvalid, ReasonRequired
from .models import Finding, Method, Outcome, SampleItem, SamplePlan

Z_95 = 1.959963984540054
"""The two-sided 95% quantile of the standard normal distribution."""


@dataclass(frozen=True)
class SampledCase:
    """A sampled case as an auditor sees it: PII masked unless a reason was recorded."""

    item_id: int
    case_id: int
    uscc: str
    unit_name: str
    program: str
    state: str
    amount_fen: int
    risk: str
    phone: str
    account: str
    revealed: bool


def _item_for(user: User, item_id: int) -> SampleItem:
    item = (SampleItem.objects.visible_to(user).select_related("plan", "case", "case__unit", "case__person")
            .filter(pk=item_id).first())
    if item is None:
        raise NotInSample(f"抽查样本 {item_id} 不在 {user.get_username()} 的抽查范围内",
                          f"sample item {item_id} is not in a sample {user.get_username()} may see")
    return item


def sampled_cases(user: User, plan: SamplePlan) -> list[SampledCase]:
    """The cases of ``plan`` the user may see, masked, in draw order."""
    items = (SampleItem.objects.visible_to(user).filter(plan=plan)
             .select_related("case", "case__unit", "case__person").order_by("draw"))
    return [_view(item, revealed=False) for item in items]


def view_case(user: User, item_id: int, *, reason: str = "", ip: str | None = None) -> SampledCase:
    """One sampled case; with a reason, in full, and the look is recorded."""
    item = _item_for(user, item_id)
    if not reason:
        return _view(item, revealed=False)
    if not reason.strip():
        raise ReasonRequired("查看完整个人信息须写明理由", "seeing personal data in full needs a reason")
    view = _view(item, revealed=True)  # opens the account first: a failure records nothing
    Disclosure.objects.create(user=user, case=item.case, reason=reason.strip()[:200], ip=ip,
                              at=clock.now())
    return view


def _view(item: SampleItem, *, revealed: bool) -> SampledCase:
    case = item.case
    if case.unit_id:
        code, name = case.unit.uscc, case.unit.name
    else:  # a trainee: the ID number and name are personal data, in full only when revealed
        code = case.person.resident_id() if revealed else case.person.resident_id_masked
        name = case.beneficiary_name if revealed else case.beneficiary_name_masked
    phone = case.contact_phone()
    return SampledCase(
        item_id=item.pk, case_id=case.pk, uscc=code, unit_name=name,
        program=case.program, state=str(case.get_state_display()), amount_fen=case.amount_fen,
        risk=case.risk,
        phone=phone if revealed else mask_phone(phone),
        account=(case.account_number() if revealed and case.has_account else case.account_masked),
        revealed=revealed)


def record_finding(user: User, item_id: int, *, outcome: str, note: str,
                   improper_fen: int = 0) -> Finding:
    """The assigned auditor's conclusion on one sampled case; one per case, never changed."""
    item = _item_for(user, item_id)
    if user.role != Role.AUDITOR or item.plan.auditor_id != user.pk:
        raise NotAllowed(f"只有抽查 #{item.plan_id} 指定的审计人可以记录发现",
                         f"only the auditor assigned to sample {item.plan_id} records findings")
    if not note.strip():
        raise ReasonRequired("抽查发现须写明说明", "a finding needs a note")
    if outcome not in Outcome.values:
        raise FindingInvalid(f"结论 {outcome!r} 不存在（可选 {', '.join(Outcome.values)}）",
                             f"unknown outcome {outcome!r} (one of {', '.join(Outcome.values)})")
    if outcome == Outcome.IMPROPER and not 0 < improper_fen <= item.case.amount_fen:
        raise FindingInvalid(
            f"不当支付金额须大于零且不超过案件金额（{item.case.amount_fen} 分）",
            f"the improper amount must be positive and at most the case's amount "
            f"({item.case.amount_fen} fen)")
    if outcome == Outcome.CONFIRMED and improper_fen:
        raise FindingInvalid("核实无误的发现不能有不当支付金额",
                             "a confirmed finding cannot carry an improper amount")
    with transaction.atomic():
        if Finding.objects.filter(item=item).exists():
            raise FindingInvalid(f"抽查样本 {item.pk} 已有发现，不能再改",
                                 f"sample item {item.pk} already has a finding; findings do not change")
        finding = Finding.objects.create(item=item, outcome=outcome, improper_fen=improper_fen,
                                         note=note.strip(), recorded_by=user,
                                         recorded_at=clock.now())
        audit.record(f"spot_check.{outcome}", actor=user.get_username(), target=f"case:{item.case_id}",
                     details={"plan": item.plan_id, "item": item.pk, "finding": finding.pk,
                              "improper_fen": improper_fen, "note": finding.note})
    return finding


def raise_receivable_for(finding: Finding, *, actor: User, due_on: date) -> Receivable:
    """Claim an improper payment back (``payments.receivables``), linked to the finding."""
    if finding.outcome != Outcome.IMPROPER:
        raise FindingInvalid(f"发现 #{finding.pk} 不是不当支付，无需追回",
                             f"finding {finding.pk} is not improper: nothing to claim back")
    if finding.receivable_id:
        raise FindingInvalid(f"发现 #{finding.pk} 已生成应追回款 #{finding.receivable_id}",
                             f"finding {finding.pk} already has receivable {finding.receivable_id}")
    case: Case = finding.item.case
    with transaction.atomic():
        receivable = receivables.raise_receivable(
            case, actor=actor, source=Receivable.Source.AUDIT_FINDING,
            amount_fen=finding.improper_fen, due_on=due_on,
            reason=f"抽查 #{finding.item.plan_id} 发现不当支付：{finding.note}")
        Finding.objects.filter(pk=finding.pk, receivable__isnull=True).update(receivable=receivable)
        finding.receivable = receivable
    return receivable


@dataclass(frozen=True)
class Estimate:
    """The improper-payment rate a simple random sample supports, with a 95% interval."""

    checked: int
    improper: int
    rate: float
    low: float
    high: float
    amount_checked_fen: int
    amount_improper_fen: int

    @property
    def amount_rate(self) -> float:
        return self.amount_improper_fen / self.amount_checked_fen if self.amount_checked_fen else 0.0


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion: sound at 0 and n, unlike the normal one."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def improper_rate(plan: SamplePlan) -> Estimate:
    """Share of improper cases among the checked cases of a simple random sample.

    Only a simple random sample estimates the population's rate without weights: a stratified
    or risk-weighted sample over-represents some cases by design, so it is refused here. Cases
    not yet checked are left out; the estimate says how many were.
    """
    if plan.method != Method.SIMPLE:
        raise PlanInvalid(f"抽查 #{plan.pk} 不是简单随机抽样，不能据此估计不当支付率",
                          f"sample {plan.pk} is not a simple random sample: it cannot estimate "
                          "the improper-payment rate")
    findings = Finding.objects.filter(item__plan=plan)
    checked = findings.count()
    improper = findings.filter(outcome=Outcome.IMPROPER)
    low, high = wilson_interval(improper.count(), checked)
    return Estimate(checked=checked, improper=improper.count(),
                    rate=improper.count() / checked if checked else 0.0, low=low, high=high,
                    amount_checked_fen=findings.aggregate(s=Sum("item__case__amount_fen"))["s"] or 0,
                    amount_improper_fen=improper.aggregate(s=Sum("improper_fen"))["s"] or 0)


@dataclass(frozen=True)
class Report:
    """A sample's findings by outcome, and how much of the improper money came back."""

    sampled: int
    confirmed: int
    improper: int
    improper_fen: int
    receivables: int
    claimed_fen: int
    recovered_fen: int
    """Repaid, offset or written off (``Receivable.settled_fen``)."""

    @property
    def unchecked(self) -> int:
        return self.sampled - self.confirmed - self.improper

    @property
    def outstanding_fen(self) -> int:
        return self.claimed_fen - self.recovered_fen


def report(plan: SamplePlan) -> Report:
    findings = Finding.objects.filter(item__plan=plan)
    claimed = Receivable.objects.filter(finding__item__plan=plan).aggregate(
        n=Count("pk"), amount=Sum("amount_fen"), settled=Sum("settled_fen"))
    return Report(sampled=plan.items.count(),
                  confirmed=findings.filter(outcome=Outcome.CONFIRMED).count(),
                  improper=findings.filter(outcome=Outcome.IMPROPER).count(),
                  improper_fen=findings.aggregate(s=Sum("improper_fen"))["s"] or 0,
                  receivables=claimed["n"], claimed_fen=claimed["amount"] or 0,
                  recovered_fen=claimed["settled"] or 0)
