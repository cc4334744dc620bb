"""Workflow parameters of a region and program: durations in working days and reviewer lists.

Every duration is a region parameter (DOMAIN.md, Process). The defaults below are the product's;
an administrator overrides them per region and program with ``WorkflowParameters`` rows.

    params = parameters_for("360102", "inclusive-2020")
    params.review_days_for(priority=True)          # 1
    params.reviewers_for("small")                  # ("finance", "ndrc", …)
"""

from dataclasses import dataclass, fields, replace
from datetime import date

from wengang.accounts.models import Department

from .models import WorkflowParameters

DEFAULT_REVIEWERS = (Department.FINANCE, Department.NDRC, Department.MIIT, Department.TAX,
                     Department.MARKET, Department.ENVIRONMENT)
"""The joint-review list of issue 4 (finance, ndrc, miit, tax, market, environment)."""


@dataclass(frozen=True)
class WorkflowParams:
    """Resolved parameters; every duration in working days of the official calendar."""

    application_days: int = 20
    """Window to confirm and sign after the notice (a product default; cities set their own)."""
    reminder_days: int = 5
    """Remind an enterprise that has not applied this many working days before its deadline
    (a product default; 0: no reminder)."""
    review_days: int = 3
    """Joint review, DOMAIN.md default (Liaoyuan 3, Haikou 2, Guangzhou first review 5)."""
    priority_review_days: int = 1
    """Joint review of priority (绿色通道) cases: shorter, as the issue asks."""
    publicity_days: int = 5
    """Publicity period, DOMAIN.md default (seen from 3 to 30)."""
    reviewers: tuple[str, ...] = tuple(str(d) for d in DEFAULT_REVIEWERS)
    reviewers_by_size: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Overrides of ``reviewers`` per size (Xi'an dropped joint review for small and micro)."""
    reject_on_objection: bool = False
    """A department objection rejects the case outright instead of returning it to the agency."""
    review_publicity_overlap: bool = False
    """随审随公示: cases in joint review may be published; payable once both are done."""
    late_claim_until: date | None = None
    """Last day for late claims; ``None``: 31 December of the refund year."""

    def review_days_for(self, *, priority: bool) -> int:
        return self.priority_review_days if priority else self.review_days

    def reviewers_for(self, size: str) -> tuple[str, ...]:
        return dict(self.reviewers_by_size).get(size, self.reviewers)

    def late_claim_deadline(self, refund_year: int) -> date:
        return self.late_claim_until or date(refund_year, 12, 31)


DEFAULTS = WorkflowParams()


def check_reviewer_lists(reviewers, reviewers_by_size) -> None:
    """Raise ``ValueError`` naming the first unknown department or malformed entry."""
    known = set(Department.values)
    lists = [] if reviewers is None else [("reviewers", reviewers)]
    if reviewers_by_size is not None:
        if not isinstance(reviewers_by_size, dict):
            raise ValueError("reviewers_by_size 应为 {规模: [部门, …]} / must map size to a list")
        lists += [(f"reviewers_by_size[{size}]", value) for size, value in reviewers_by_size.items()]
    for name, value in lists:
        if not isinstance(value, list) or any(d not in known for d in value):
            raise ValueError(f"{name}：部门应为 {', '.join(sorted(known))} 之一 / "
                             f"{name}: departments must be among {', '.join(sorted(known))}")


def _specificity(row: WorkflowParameters) -> tuple[int, int]:
    return (len(row.region_code), 1 if row.program else 0)


TRAINING_DEFAULTS = replace(DEFAULTS, reviewers=())
"""Skills-training subsidies are reviewed by the agency itself (no joint review): the records come
from the training platforms, the assessment bodies and the rosters, not from what an enterprise
declares, and the six departments check enterprises. A row for the training program itself may
still name reviewers (e.g. finance); a row for all programs does not."""
_REVIEWER_FIELDS = ("reviewers", "reviewers_by_size")


def parameters_for(region_code: str, program: str, *, training: bool = False) -> WorkflowParams:
    """The parameters in force for cases of ``program`` in ``region_code`` (a 6-digit code);
    ``training``: the program is a skills-training subsidy (``TRAINING_DEFAULTS``)."""
    candidates = {"", region_code[:2] + "0000", region_code[:4] + "00", region_code}
    rows = sorted(
        WorkflowParameters.objects.filter(region_code__in=candidates, program__in=["", program]),
        key=_specificity,
    )
    params = TRAINING_DEFAULTS if training else DEFAULTS
    for row in rows:
        changes = {}
        for field in fields(WorkflowParams):
            value = getattr(row, field.name)
            if value is None or (training and not row.program and field.name in _REVIEWER_FIELDS):
                continue
            if field.name == "reviewers":
                check_reviewer_lists(value, None)
                value = tuple(value)
            elif field.name == "reviewers_by_size":
                check_reviewer_lists(None, value)
                value = tuple(sorted((size, tuple(v)) for size, v in value.items()))
            changes[field.name] = value
        params = replace(params, **changes)
    return params
