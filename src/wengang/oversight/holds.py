"""Risk holds (风险暂缓): screening's risk flags stop a case before payment until checked.

Screening flags signals (``screening.risk``: shared accounts and phones, many units per legal
representative, a headcount jump at year end, a young unit with a large premium base); they
never change eligibility. Here they stop the money: ``sweep`` puts every open case of a region
that carries a flag nobody has cleared on hold (``workflow.hold``, kind ``risk``), and releases
held cases whose unit corrected its data (a re-screen no longer raises the flags it was held
for). An officer ends any other hold with ``clear`` and a reason. Every move goes through the
workflow, which records it as a case event (and so in the audit chain).
"""

from dataclasses import dataclass, field

from django.db import transaction

from wengang.accounts.models import User
from wengang.cases import workflow
from wengang.cases.errors import CaseError
from wengang.cases.models import Action, Case, CaseEvent, Channel, HoldKind, State
from wengang.core.clock import clock

from .errors import NoOpenHold, ReasonRequired
from .models import RiskHold

HOLDABLE_STATES = workflow.TRANSITIONS[Action.HELD].sources
"""Open states before payment: a flagged case is stopped wherever it is."""


def _flags(risk: str) -> frozenset[str]:
    return frozenset(f for f in risk.split(";") if f)


@dataclass
class Sweep:
    held: list[int] = field(default_factory=list)
    corrected: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    """Cases someone else changed meanwhile, with why: the next sweep takes them again."""


def cases_to_hold(region_code: str) -> list[int]:
    """Open cases of ``region_code`` with a risk flag, not on hold, not cleared for these flags.

    Set-based: one query for the flagged cases, one for the flags already cleared on them.
    """
    candidates = (Case.objects.in_region(region_code).filter(state__in=HOLDABLE_STATES)
                  .exclude(risk=""))
    cleared: dict[int, frozenset[str]] = {}
    for case_id, flags in (RiskHold.objects.filter(case__in=candidates,
                                                   outcome=RiskHold.Outcome.CLEARED)
                           .order_by("ended_at", "id").values_list("case_id", "flags")):
        cleared[case_id] = _flags(flags)  # the latest clearance counts
    return sorted(pk for pk, risk in candidates.values_list("pk", "risk")
                  if not _flags(risk) <= cleared.get(pk, frozenset()))


def sweep(*, actor: User, region_code: str, channel: str = Channel.SYSTEM,
          request_id: str = "") -> Sweep:
    """Settle the region's risk holds: end those the data or another step settled, hold the new.

    The actor's role and region are checked first, for the whole region: a refused sweep
    changes nothing.
    """
    workflow.require_role(actor, Action.HELD)
    workflow.require_region(actor, region_code)
    result = Sweep()
    for hold in (RiskHold.objects.open().filter(case__in=Case.objects.in_region(region_code))
                 .select_related("case", "case__unit")):
        case = hold.case
        if case.state != State.ON_HOLD or case.hold_kind != HoldKind.RISK:
            _settle_elsewhere(hold, actor=actor)
            result.ended.append(case.pk)
        elif not hold.flag_set & _flags(case.risk):
            reason = f"单位已更正数据：重新筛查不再提示 {hold.flags}"
            try:
                with transaction.atomic():
                    workflow.release(case, actor=actor, reason=reason, channel=channel,
                                     request_id=request_id)
                    _end(hold, RiskHold.Outcome.CORRECTED, actor=actor, reason=reason)
            except CaseError as error:
                result.skipped[case.pk] = str(error)
                continue
            result.corrected.append(case.pk)
    for pk in cases_to_hold(region_code):
        case = Case.objects.select_related("unit").get(pk=pk)
        try:
            with transaction.atomic():
                workflow.hold(case, actor=actor, reason=f"风险提示待核查：{case.risk}",
                              channel=channel, request_id=request_id)
                RiskHold.objects.create(case=case, flags=case.risk, held_at=clock.now(),
                                        held_by=actor)
        except CaseError as error:
            result.skipped[case.pk] = str(error)
            continue
        result.held.append(case.pk)
    return result


def clear(case: Case, *, actor: User, reason: str, channel: str = Channel.CONSOLE,
          request_id: str = "") -> RiskHold:
    """An officer checked the flags and found them explained: the case goes back where it was."""
    if not reason.strip():
        raise ReasonRequired("解除风险暂缓须写明核查结论", "clearing a risk hold needs the reason found")
    with transaction.atomic():
        hold = RiskHold.objects.open().select_for_update().filter(case=case).first()
        if hold is None:
            raise NoOpenHold(f"案件 {case.pk} 没有待核查的风险暂缓",
                             f"case {case.pk} has no open risk hold to clear")
        workflow.release(case, actor=actor, reason=f"风险核查：{reason}", channel=channel,
                         request_id=request_id)
        return _end(hold, RiskHold.Outcome.CLEARED, actor=actor, reason=reason)


def _settle_elsewhere(hold: RiskHold, *, actor: User) -> None:
    """The case left the hold by another step. Released by hand (``cases release``): that
    officer cleared it, with the release's reason. Otherwise (withdrawn, rejected): ended."""
    release = (CaseEvent.objects.filter(case=hold.case, action=Action.RELEASED, at__gte=hold.held_at)
               .exclude(reason="").order_by("at", "pk").last())
    if release is not None and release.actor is not None:
        _end(hold, RiskHold.Outcome.CLEARED, actor=release.actor, reason=release.reason)
    else:
        _end(hold, RiskHold.Outcome.ENDED, actor=actor,
             reason=f"案件已由其他环节处理（现为{hold.case.get_state_display()}）")


def _end(hold: RiskHold, outcome: str, *, actor: User, reason: str) -> RiskHold:
    hold.outcome, hold.reason, hold.ended_at, hold.ended_by = outcome, reason, clock.now(), actor
    hold.save(update_fields=["outcome", "reason", "ended_at", "ended_by"])
    return hold
