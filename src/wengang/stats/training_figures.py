"""The training subsidies' figures (培训补贴), read from their own summary tables within a region.

    headline(scope)          eligible and paid (per subsidy, and distinct persons and units),
                             money, average, beneficiary rate, receivables
    breakdown(scope, by)     the same by program, subject (course, certificate level, 以工代训),
                             region below the scope, or week paid
    receivables(scope)       raised, recovered, written off, open

Another fund's money: nothing here reads a refund table, and nothing in ``kpis`` reads these.
Scopes, sums and ratios work as in ``kpis`` (every figure a sum of table rows, ratios last).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import Subject

from .kpis import (
    ReceivableFigures,
    _average_fen,
    _label,
    _ratio,
    _receivable_sums,
    _week_start,
    child_region,
    region_name,
    rows,
)
from .models import (
    TrainingBeneficiaries,
    TrainingCount,
    TrainingPaymentDay,
    TrainingReceivableCount,
    TrainingSubjectCount,
)

DIMENSIONS = ("program", "subject", "region", "week")
LEVEL_NAMES = {3: _("三级（高级工）"), 4: _("四级（中级工）"), 5: _("五级（初级工）"),
               0: _("等级不详")}


@dataclass(frozen=True)
class TrainingFigures:
    """The figures of one group of training subsidies (a scope, a program, a subject …).

    ``eligible`` and ``paid`` count beneficiaries per case: a person (or, for 以工代训, a unit)
    under one program and year; a person under two programs counts under each.
    """

    key: str = ""
    label: str = ""
    eligible: int = 0
    eligible_fen: int = 0
    paid: int = 0
    paid_fen: int = 0
    net_fen: int = 0
    items: int = 0
    paid_items: int = 0
    receivables: int = 0
    receivable_fen: int = 0
    recovered_fen: int = 0

    @property
    def average_fen(self) -> int | None:
        """Average subsidy per paid beneficiary, in fen (half-up)."""
        return _average_fen(self.paid_fen, self.paid)

    @property
    def beneficiary_rate(self) -> Decimal | None:
        """Paid ÷ eligible."""
        return _ratio(self.paid, self.eligible)


@dataclass(frozen=True)
class TrainingHeadline(TrainingFigures):
    """The scope's figures, with distinct persons and units (each counted once, whatever the
    programs) and the receivables."""

    persons: int = 0
    persons_paid: int = 0
    units: int = 0
    units_paid: int = 0
    outstanding_fen: int = 0
    open: int = 0


_CASE_SUMS = {"eligible": Sum("eligible"), "eligible_fen": Sum("eligible_fen")}
_PAID_SUMS = {"paid": Sum("payments"), "paid_fen": Sum("gross_fen"),
                       "net_fen": Sum("net_fen")}
_OWED_SUMS = {"receivables": Sum("receivables"), "receivable_fen": Sum("amount_fen"),
                       "recovered_fen": Sum("recovered_fen")}
_SUBJECT_SUMS = {"eligible": Sum("eligible"), "paid": Sum("paid"), "items": Sum("items"),
                 "paid_items": Sum("paid_items"), "eligible_fen": Sum("eligible_fen"),
                 "paid_fen": Sum("paid_fen")}


def receivables(scope: str | None) -> ReceivableFigures:
    return _receivable_sums(TrainingReceivableCount, scope)


def headline(scope: str | None) -> TrainingHeadline:
    sums: dict[str, int] = {}
    for model, aggregates in ((TrainingCount, _CASE_SUMS), (TrainingPaymentDay, _PAID_SUMS)):
        sums |= {name: value or 0 for name, value in rows(model, scope).aggregate(
            **aggregates).items()}
    beneficiaries = {r["beneficiary"]: r for r in rows(TrainingBeneficiaries, scope)
                     .values("beneficiary").annotate(n=Sum("eligible"), n_paid=Sum("paid"))}
    person, unit = beneficiaries.get("person", {}), beneficiaries.get("unit", {})
    owed = receivables(scope)
    return TrainingHeadline(
        **sums, persons=person.get("n", 0), persons_paid=person.get("n_paid", 0),
        units=unit.get("n", 0), units_paid=unit.get("n_paid", 0),
        receivables=owed.receivables, receivable_fen=owed.amount_fen,
        recovered_fen=owed.recovered_fen, outstanding_fen=owed.outstanding_fen, open=owed.open)


def subject_name(key: str) -> str:
    """``certificate-4`` → 技能等级证书 · 四级（中级工）; ``roster_month`` → 以工代训人月."""
    subject, _dash, level = key.partition("-")
    name = str(Subject(subject).label) if subject in Subject.values else subject
    if level:
        name = f"{name} · {LEVEL_NAMES.get(int(level), level)}"
    return name


def _subject_key(subject: str, level: int) -> str:
    return f"{subject}-{level}" if subject == Subject.CERTIFICATE else subject


def _subject_order(key: str) -> tuple[int, int]:
    """Courses, certificates from level 5 (junior) to 3 (senior) then unknown, 以工代训 last."""
    subject, _dash, level = key.partition("-")
    order = Subject.values.index(subject) if subject in Subject.values else len(Subject.values)
    return order, (1 if level == "0" else -int(level or 0))


def breakdown(scope: str | None, by: str) -> list[TrainingFigures]:
    """The training figures grouped ``by`` one of ``DIMENSIONS``.

    A subject row counts the beneficiaries with at least one item of that subject (and level):
    a person with a level-3 and a level-4 certificate counts under each, once in the total.
    Receivables belong to a case, not to an item: the subject rows have none. Weeks group the
    payments by the day the money arrived (weeks start on Monday): only paid figures.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if by == "week":
        for r in rows(TrainingPaymentDay, scope).values("paid_on").annotate(**_PAID_SUMS):
            for name in _PAID_SUMS:
                groups[_week_start(r["paid_on"]).isoformat()][name] += r[name]
    elif by == "subject":
        for r in (rows(TrainingSubjectCount, scope).values("subject", "level")
                  .annotate(**_SUBJECT_SUMS)):
            for name in _SUBJECT_SUMS:
                groups[_subject_key(r["subject"], r["level"])][name] += r[name]
    else:
        column = {"program": "program", "region": "region_code"}[by]
        for model, sums in ((TrainingCount, _CASE_SUMS),
                            (TrainingPaymentDay, _PAID_SUMS),
                            (TrainingReceivableCount, _OWED_SUMS)):
            for r in rows(model, scope).values(column).annotate(**sums):
                key = child_region(scope, r[column]) if by == "region" else r[column]
                for name in sums:
                    groups[key][name] += r[name] or 0
    keys = sorted(groups, key=_subject_order) if by == "subject" else sorted(groups)
    labels = {"program": lambda key: _label("program", key), "region": region_name,
              "subject": subject_name, "week": str}[by]
    return [TrainingFigures(key=key, label=str(labels(key)), **groups[key]) for key in keys]


__all__ = ["DIMENSIONS", "TrainingFigures", "TrainingHeadline", "breakdown", "headline",
           "receivables", "subject_name"]
