"""What the pages show of a case: the enterprise's timeline, the explanation as ticked rules,
the program's name. Read-only; states change only in ``cases.workflow``."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.utils.timezone import localdate
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import Action, Case, CaseEvent, CommitmentText, Route, Size, State
from wengang.policy import load_policy
from wengang.shared_cache import kept, renew


@cache
def _program_names() -> dict[str, str]:
    policy = load_policy()
    return {program_id: policy.program(program_id).name for program_id in policy.programs}


@cache
def _unit_programs() -> frozenset[str]:
    """Programs that screen units: the refund's cases, runs and what-ifs (training programs
    screen persons, with their own command)."""
    policy = load_policy()
    return frozenset(p for p in policy.programs if policy.program(p).subject == "unit")


def program_name(program_id: str) -> str:
    return _program_names().get(program_id, program_id)


def program_choices() -> list[tuple[str, str]]:
    """Every program that screens units, newest refund year first, for select boxes."""
    return sorted(((p, name) for p, name in _program_names().items() if p in _unit_programs()),
                  key=lambda item: item[0].rsplit("-", 1)[-1], reverse=True)


def size_name(size: str) -> str:
    return str(Size(size).label) if size in Size.values else size


def route_name(route: str) -> str:
    """A screening result's route; ``none`` is the route of a unit that is not eligible."""
    return str(Route(route).label) if route in Route.values else str(_("不符合"))


@dataclass(frozen=True)
class Step:
    label: str
    on: date | None
    status: str  # "done", "current", "todo" or "stopped"


# The five steps an enterprise sees (UX.md), each done by the first event of these actions.
_STEPS = (
    (_("比对筛查"), {Action.OPENED}),
    (_("确认/申请"), {Action.APPLIED, Action.NOTIFIED}),
    (_("部门联审"), {Action.APPROVED}),
    (_("公示"), {Action.PUBLICITY_STARTED}),
    (_("拨付"), {Action.MADE_PAYABLE}),
)


def timeline_steps(case: Case, events: list[CaseEvent], *, stages=_STEPS) -> list[Step]:
    """The five steps (or ``stages``) with the date each was reached; the first open one is
    current.

    An application case is "confirmed" only when it applied (its notice is not enough).
    """
    reached: list[date | None] = []
    for _label, actions in stages:
        wanted = actions - ({Action.NOTIFIED} if case.route == "application" else set())
        first = next((e for e in events if e.action in wanted), None)
        reached.append(localdate(first.at) if first else None)
    reached[0] = reached[0] or localdate(case.created_at)  # a case exists because screening found it
    steps, current_given = [], False
    for (label, _actions), on in zip(stages, reached, strict=True):
        if on is not None:
            status = "done"
        elif case.is_closed:
            status = "stopped"
        elif not current_given:
            status, current_given = "current", True
        else:
            status = "todo"
        steps.append(Step(str(label), on, status))
    return steps


@dataclass(frozen=True)
class Reason:
    text: str
    passed: bool


def explanation_reasons(case: Case) -> list[Reason]:
    return reasons_of(case.explanation)


def reasons_of(text: str) -> list[Reason]:
    """A screening explanation (a case's, a late claim's) as one line per rule:
    "符合条件：a；b" → ✓a, ✓b."""
    risk = ""
    if "。风险提示：" in text:
        text, risk = text.split("。风险提示：", 1)
    passed = not text.startswith("不符合条件：")
    body = text.split("：", 1)[1] if text.startswith(("符合条件：", "不符合条件：")) else text
    reasons = [Reason(part.strip(), passed) for part in body.split("；") if part.strip()]
    if risk:
        reasons.append(Reason(f"风险提示：{risk}", False))
    return reasons


_LETTERS_GENERATION = "letters-generation"
_LETTER_CACHE_SECONDS = 2 * 24 * 3600  # an entry is for one day; then it only takes room


def commitment_text_for(case: Case, today: date) -> CommitmentText | None:
    """The letter in force for the case's program (or for all programs) on ``today``.

    Read on both requests of every confirmation (the letter shown, then the letter signed),
    so kept in the shared cache per program and day (``shared_cache``): a change to any letter
    (``forget_letters_in_force``) has every process read the letter in force again at once.
    """
    def read() -> CommitmentText | None:
        return (CommitmentText.objects
                .filter(valid_from__lte=today, program__in=["", case.program])
                .order_by("-valid_from", "-id").first())

    return kept(f"letter-in-force:{case.program}:{today.isoformat()}", _LETTERS_GENERATION,
                read, seconds=_LETTER_CACHE_SECONDS)


def forget_letters_in_force(sender, **kwargs) -> None:
    """Connected to every save and delete of a letter (``WebConfig.ready``)."""
    renew(_LETTERS_GENERATION)


ENTERPRISE_CAN_APPLY = frozenset({State.AWAITING_APPLICATION})
