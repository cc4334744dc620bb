"""The key figures, read from the summary tables within a region.

    headline(scope)                  eligible, paid, money, employees covered, rates
    breakdown(scope, by)             the same by program, region, size, industry, week or month
    time_to_money(scope)             median and p90 days screening → money, each step's share
    review_compliance(scope)         each department's tasks against their deadlines
    outreach(scope) / by_channel     share of eligible units reached; notices by channel
    receivables(scope)               raised, recovered, written off, open
    pipeline(scope)                  cases by state (the agency's funnel)

The skills-training subsidies are another fund's money: their figures are ``training_figures``,
read from their own tables; nothing here reads those.

A scope is a region code (a province, city or county: its subtree) or ``None`` for everything
this deployment holds (the nation, on a national deployment). Every figure is a sum of table
rows; ratios are computed last, from the sums, never averaged.

Definitions: *eligible* counts cases whose latest screening found them eligible (a unit under
two programs counts under each; the programs do not stack, so a unit is paid once). *Paid*
counts successful payments (at most one per case); the *amount paid* is the refund (gross, before
any receivable offset against it). *Employees covered* is the insured headcount of paid cases.
The *median* of an even count is the mean of the two middle values; *p90* is the nearest-rank
90th percentile (the smallest value that at least 90 % of payments do not exceed).
"""

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import region_q
from wengang.core.errors import RegionError
from wengang.core.regions import RegionLevel, get_region, prefecture_of

from .models import (
    CaseCount,
    NoticeCount,
    PaymentCount,
    PaymentDay,
    ReceivableCount,
    ReviewCount,
    Rollup,
    StateCount,
    TimeToMoney,
)

DIMENSIONS = ("program", "region", "size", "industry", "week", "month")
_MUNICIPALITIES = ("11", "12", "31", "50")


def rows(model, scope: str | None) -> QuerySet:
    """The rows of ``model`` inside ``scope`` (every source)."""
    queryset = model.objects.order_by()
    return queryset.filter(region_q("region_code", scope)) if scope else queryset


def _ratio(part: int, whole: int) -> Decimal | None:
    """``part ÷ whole`` to four decimals, half-up; ``None`` when there is nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _average_fen(fen: int, n: int) -> int | None:
    if not n:
        return None
    return int((Decimal(fen) / n).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Figures:
    """The headline figures of one group (a whole scope, or one program, region …)."""

    key: str = ""
    label: str = ""
    eligible: int = 0
    eligible_fen: int = 0
    reached: int = 0
    paid: int = 0
    paid_fen: int = 0
    net_fen: int = 0
    insured: int = 0

    @property
    def average_fen(self) -> int | None:
        """Average refund per paid unit, in fen (half-up)."""
        return _average_fen(self.paid_fen, self.paid)

    @property
    def insured_per_unit(self) -> Decimal | None:
        """Employees covered per paid unit (the 2020 reports' "about 27 per enterprise")."""
        if not self.paid:
            return None
        return (Decimal(self.insured) / self.paid).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def beneficiary_rate(self) -> Decimal | None:
        """Paid ÷ eligible."""
        return _ratio(self.paid, self.eligible)

    @property
    def reach_rate(self) -> Decimal | None:
        """Eligible units reached by at least one notice ÷ eligible."""
        return _ratio(self.reached, self.eligible)


_CASE_SUMS = {"eligible": Sum("eligible"), "eligible_fen": Sum("eligible_fen"),
              "reached": Sum("reached")}
_PAID_SUMS = {"paid": Sum("payments"), "paid_fen": Sum("gross_fen"), "net_fen": Sum("net_fen"),
              "insured": Sum("insured")}


def headline(scope: str | None) -> Figures:
    cases = rows(CaseCount, scope).aggregate(**_CASE_SUMS)
    paid = rows(PaymentCount, scope).aggregate(**_PAID_SUMS)
    return Figures(**{name: value or 0 for name, value in (cases | paid).items()})


def paid(scope: str | None, *, since: date | None = None, until: date | None = None) -> Figures:
    """The paid figures of payments that arrived from ``since`` through ``until`` (inclusive)."""
    queryset = rows(PaymentDay, scope)
    if since:
        queryset = queryset.filter(paid_on__gte=since)
    if until:
        queryset = queryset.filter(paid_on__lte=until)
    return Figures(**{name: value or 0 for name, value in queryset.aggregate(**_PAID_SUMS).items()})


def child_region(scope: str | None, code: str) -> str:
    """The region directly below ``scope`` that county ``code`` lies in (the chart's bars).

    The nation's children are provinces; a province's are its cities (a municipality's, its
    districts); a city's are its counties.
    """
    if scope is None:
        return code[:2] + "0000"
    level = get_region(scope).level
    if level is RegionLevel.PROVINCE and scope[:2] not in _MUNICIPALITIES:
        try:
            city = prefecture_of(code)
        except RegionError:
            return code[:4] + "00"
        return city.code if city else code
    return code


def region_name(code: str) -> str:
    try:
        return get_region(code).name
    except RegionError:
        return code


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _label(by: str, key: str) -> str:
    if by == "program":
        from wengang.web.display import program_name

        return program_name(key)
    if by == "region":
        return region_name(key)
    if by == "size":
        from wengang.web.display import size_name

        return size_name(key)
    if by == "industry":
        return industry_section(key)
    return key


def industry_section(division: str) -> str:
    """The GB/T 4754-2017 section (门类) of a two-digit division, e.g. ``13`` → ``C 制造业``."""
    from wengang.screening.simulate import SECTIONS

    for low, high, name in SECTIONS:
        if division and low <= division <= high:
            return name
    return str(_("未知行业"))


def breakdown(scope: str | None, by: str) -> list[Figures]:
    """The headline figures grouped ``by`` one of ``DIMENSIONS``, in the order of the keys.

    Week and month group payments by the day the money arrived (weeks start on Monday):
    eligibility has no date there, so only the paid figures are filled.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension {by!r}")
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if by in ("week", "month"):
        for r in rows(PaymentDay, scope).values("paid_on").annotate(**_PAID_SUMS):
            key = (_week_start(r["paid_on"]).isoformat() if by == "week"
                   else r["paid_on"].strftime("%Y-%m"))
            for name in _PAID_SUMS:
                groups[key][name] += r[name]
    else:
        column = {"program": "program", "region": "region_code", "size": "size",
                  "industry": "industry"}[by]
        # Industry rows are divisions (2 digits); sections span several, so they fold here.
        for model, sums in ((CaseCount, _CASE_SUMS), (PaymentCount, _PAID_SUMS)):
            for r in rows(model, scope).values(column).annotate(**sums):
                key = r[column]
                if by == "region":
                    key = child_region(scope, key)
                elif by == "industry":
                    key = industry_section(key)
                for name in sums:
                    groups[key][name] += r[name] or 0
    result = []
    for key in sorted(groups):
        label = key if by == "industry" else _label(by, key)
        result.append(Figures(key=key, label=str(label), **groups[key]))
    return result


@dataclass(frozen=True)
class TimeToMoneyFigures:
    payments: int = 0
    median_days: Decimal | None = None
    p90_days: int | None = None
    mean_days: Decimal | None = None
    histogram: list[tuple[int, int]] = field(default_factory=list)
    step_days: tuple[int, int, int] = (0, 0, 0)

    STEPS = (_("筛查至审核通过"), _("审核通过至待拨付（含公示）"), _("待拨付至到账"))

    @property
    def step_shares(self) -> list[Decimal | None]:
        """Each step's share of the total days (screening → approved → payable → paid)."""
        total = sum(self.step_days)
        return [_ratio(days, total) for days in self.step_days]


def _percentile_rank(histogram: list[tuple[int, int]], rank: int) -> int:
    """The value at 1-based ``rank`` in the sorted multiset ``histogram`` (value, count)."""
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    raise ValueError("rank beyond the histogram")


def time_to_money(scope: str | None, *, program: str | None = None) -> TimeToMoneyFigures:
    queryset = rows(TimeToMoney, scope)
    if program:
        queryset = queryset.filter(program=program)
    grouped = (queryset.values("days").annotate(n=Sum("payments"), a=Sum("to_approved_days"),
                                                 b=Sum("to_payable_days"), c=Sum("to_paid_days"))
               .order_by("days"))
    histogram = [(r["days"], r["n"]) for r in grouped]
    n = sum(count for _days, count in histogram)
    if not n:
        return TimeToMoneyFigures()
    middle = (_percentile_rank(histogram, (n + 1) // 2) + _percentile_rank(histogram, n // 2 + 1))
    total_days = sum(days * count for days, count in histogram)
    return TimeToMoneyFigures(
        payments=n, median_days=Decimal(middle) / 2,
        p90_days=_percentile_rank(histogram, math.ceil(0.9 * n)),
        mean_days=(Decimal(total_days) / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        histogram=histogram,
        step_days=(sum(r["a"] for r in grouped), sum(r["b"] for r in grouped),
                   sum(r["c"] for r in grouped)))


@dataclass(frozen=True)
class Compliance:
    department: str
    label: str
    tasks: int
    on_time: int
    late: int
    pending: int
    overdue: int

    @property
    def rate(self) -> Decimal | None:
        """On time ÷ tasks whose deadline has come (decided, or pending past the due day)."""
        return _ratio(self.on_time, self.on_time + self.late + self.overdue)


def review_compliance(scope: str | None, *, department: str | None = None) -> list[Compliance]:
    from wengang.accounts.models import Department

    queryset = rows(ReviewCount, scope)
    if department:
        queryset = queryset.filter(department=department)
    grouped = (queryset.values("department")
               .annotate(t=Sum("tasks"), a=Sum("on_time"), b=Sum("late"), c=Sum("pending"),
                         d=Sum("overdue")).order_by("department"))
    names = dict(Department.choices)
    return [Compliance(r["department"], str(names.get(r["department"], r["department"])), r["t"],
                       r["a"], r["b"], r["c"], r["d"]) for r in grouped]


@dataclass(frozen=True)
class ChannelReach:
    channel: str
    label: str
    notices: int
    sent: int
    delivered: int
    failed: int
    pending: int

    @property
    def delivery_rate(self) -> Decimal | None:
        return _ratio(self.delivered, self.notices)


def by_channel(scope: str | None) -> list[ChannelReach]:
    from wengang.outreach.models import Channel, Status

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows(NoticeCount, scope).values("channel", "status").annotate(n=Sum("notices")):
        counts[r["channel"]][r["status"]] += r["n"]
    names = dict(Channel.choices)
    return [ChannelReach(channel, str(names.get(channel, channel)), sum(c.values()),
                         c[Status.SENT] + c[Status.DELIVERED], c[Status.DELIVERED],
                         c[Status.FAILED], c[Status.PENDING])
            for channel, c in sorted(counts.items())]


@dataclass(frozen=True)
class ReceivableFigures:
    receivables: int = 0
    amount_fen: int = 0
    recovered_fen: int = 0
    written_off_fen: int = 0
    open: int = 0
    outstanding_fen: int = 0

    @property
    def recovery_rate(self) -> Decimal | None:
        return _ratio(self.recovered_fen, self.amount_fen)


def receivables(scope: str | None) -> ReceivableFigures:
    return _receivable_sums(ReceivableCount, scope)


def _receivable_sums(model, scope: str | None) -> ReceivableFigures:
    sums = rows(model, scope).aggregate(
        receivables=Sum("receivables"), amount_fen=Sum("amount_fen"),
        recovered_fen=Sum("recovered_fen"), written_off_fen=Sum("written_off_fen"),
        open=Sum("open"), outstanding_fen=Sum("outstanding_fen"))
    return ReceivableFigures(**{name: value or 0 for name, value in sums.items()})


def pipeline(scope: str | None) -> list[tuple[str, str, int, int]]:
    """(state, label, cases, amount in fen of eligible ones) in the workflow's order."""
    from wengang.cases.models import State

    counts = {r["state"]: r for r in rows(StateCount, scope).values("state")
              .annotate(n=Sum("cases"), fen=Sum("eligible_fen"))}
    return [(state, str(State(state).label), counts[state]["n"], counts[state]["fen"])
            for state in State.values if state in counts]


def provenance(scope: str | None) -> list[Rollup]:
    """The sources counted in ``scope``: this deployment and every imported city inside it."""
    sources = rows(CaseCount, scope).values_list("source", flat=True).distinct()
    return list(Rollup.objects.filter(source__in=list(sources)))


CACHE_SECONDS = 3600


def version() -> str:
    """A fingerprint of what the summary tables hold: it changes with every refresh and import.

    Figures computed from the tables stay right until then, so pages cache them under it
    (``cached``): the first view after a refresh counts, the next ones read the cache.
    """
    sources = list(Rollup.objects.order_by("source")
                   .values_list("pk", "source", "computed_at", "imported_at"))
    return hashlib.sha256(repr(sources).encode()).hexdigest()[:20]


def cached[T](fingerprint: str, name: str, scope: str | None, compute: Callable[[], T],
              **options) -> T:
    """``compute()``, kept in Django's cache under the tables' ``fingerprint`` and the language."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    extra = ",".join(f"{option}={value}" for option, value in sorted(options.items()))
    key = f"wengang-stats:{fingerprint}:{get_language()}:{name}:{scope or 'all'}:{extra}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


__all__ = [
    "DIMENSIONS",
    "Compliance",
    "Figures",
    "TimeToMoneyFigures",
    "breakdown",
    "by_channel",
    "cached",
    "child_region",
    "headline",
    "industry_section",
    "paid",
    "pipeline",
    "provenance",
    "receivables",
    "review_compliance",
    "time_to_money",
    "version",
]
