"""The case queue's bulk actions, one rule for the console and the API.

``open_review`` sends the selected cases of each program to review, one batch per program;
``hold`` and ``release`` act case by case. A bulk action does what it can: each refusal is kept
with the cases it concerns, never raised, so one case out of step does not stop the others.
"""

from dataclasses import dataclass, field

from wengang.accounts.models import User

from .errors import CaseError
from .models import Case, Channel
from .review import open_review_batches
from .workflow import hold, release


@dataclass(frozen=True)
class Refusal:
    case_ids: list[int]
    program: str
    """The program whose batch was refused (``open_review``); "" for one case's refusal."""
    error: CaseError


@dataclass
class BulkOutcome:
    done: int = 0
    refused: list[Refusal] = field(default_factory=list)


def act_on_many(cases: list[Case], action: str, *, actor: User, reason: str = "",
                channel: str = Channel.CONSOLE) -> BulkOutcome:
    """Do ``action`` (``open_review``, ``hold`` or ``release``) to ``cases``; the actor's role
    and region are checked by each service, batch by batch or case by case."""
    outcome = BulkOutcome()
    if action == "open_review":
        by_program: dict[str, list[int]] = {}
        for case in cases:
            by_program.setdefault(case.program, []).append(case.pk)
        for program, ids in by_program.items():
            try:
                batches = open_review_batches(actor=actor, region_code=actor.region_code,
                                              program=program, case_ids=ids, channel=channel)
            except CaseError as error:
                outcome.refused.append(Refusal(ids, program, error))
            else:
                outcome.done += sum(batch.items.count() for batch in batches)
        return outcome
    act = {"hold": hold, "release": release}[action]
    for case in cases:
        try:
            act(case, actor=actor, reason=reason, channel=channel)
        except CaseError as error:
            outcome.refused.append(Refusal([case.pk], "", error))
        else:
            outcome.done += 1
    return outcome
