"""The dashboards' key figures (统计): what the overview and operations pages show in their
tiles, read from the summary tables (``stats.kpis``) within the caller's region, and cached
under the tables' fingerprint as the pages cache them; the training subsidies' apart
(``stats.training_figures``: another fund's money, as on their own page). Refreshed by
``wengang stats refresh``.
"""

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wengang.stats import kpis, training_figures
from wengang.stats.views import region_scope
from wengang.web.access import CONSOLE_ROLES

from .auth import allow, user_of
from .models import Scope
from .schemas import ERRORS

router = Router(tags=["stats 统计"])


class KpiFilters(Schema):
    region: str | None = Field(None, pattern=r"^[0-9]{6}$",
                               description="a region inside yours (GB/T 2260); default: yours")


class HeadlineOut(Schema):
    eligible: int
    eligible_fen: int
    reached: int
    paid: int
    paid_fen: int = Field(description="refunds paid (gross, before receivable offsets)")
    net_fen: int
    insured: int = Field(description="employees covered by paid cases")
    average_fen: int | None
    beneficiary_rate: Decimal | None = Field(description="paid ÷ eligible")
    reach_rate: Decimal | None = Field(description="eligible units reached ÷ eligible")


class TimeToMoneyOut(Schema):
    payments: int
    median_days: Decimal | None
    p90_days: int | None
    mean_days: Decimal | None


class ReceivablesOut(Schema):
    receivables: int
    amount_fen: int
    recovered_fen: int
    written_off_fen: int
    open: int
    outstanding_fen: int
    recovery_rate: Decimal | None


class StateRow(Schema):
    state: str
    label: str
    cases: int
    eligible_fen: int | None


class CountedOut(Schema):
    region: str | None = Field(description="the region counted; null: everything (an admin)")
    region_name: str
    version: str = Field(description="fingerprint of the summary tables: changes on refresh")


class KpisOut(CountedOut):
    headline: HeadlineOut
    time_to_money: TimeToMoneyOut
    receivables: ReceivablesOut
    pipeline: list[StateRow]


def _counted(scope: str | None, version: str) -> dict:
    return {"region": scope, "region_name": str(kpis.region_name(scope)) if scope else "全国",
            "version": version}


def _receivables(owed: kpis.ReceivableFigures) -> dict:
    return {name: getattr(owed, name) for name in ReceivablesOut.model_fields}


@router.get("/stats/kpis", response={200: KpisOut, **ERRORS}, operation_id="get_kpis",
            summary="The dashboards' key figures for your region (or a region inside it)")
@allow(*CONSOLE_ROLES, scope=Scope.STATS_READ)
def get_kpis(request: HttpRequest, filters: Query[KpiFilters]):
    scope = region_scope(user_of(request), filters.region)
    version = kpis.version()

    def figure(name: str):
        return kpis.cached(version, name, scope, lambda: getattr(kpis, name)(scope))

    head, ttm, owed = figure("headline"), figure("time_to_money"), figure("receivables")
    return {
        **_counted(scope, version),
        "headline": {"eligible": head.eligible, "eligible_fen": head.eligible_fen,
                     "reached": head.reached, "paid": head.paid, "paid_fen": head.paid_fen,
                     "net_fen": head.net_fen, "insured": head.insured,
                     "average_fen": head.average_fen, "beneficiary_rate": head.beneficiary_rate,
                     "reach_rate": head.reach_rate},
        "time_to_money": {"payments": ttm.payments, "median_days": ttm.median_days,
                          "p90_days": ttm.p90_days, "mean_days": ttm.mean_days},
        "receivables": _receivables(owed),
        "pipeline": [{"state": state, "label": label, "cases": n, "eligible_fen": fen}
                     for state, label, n, fen in figure("pipeline")],
    }


class TrainingHeadlineOut(Schema):
    eligible: int = Field(description="training cases found eligible: one beneficiary under one "
                                      "program and year")
    eligible_fen: int
    paid: int = Field(description="training cases with a successful payment")
    paid_fen: int = Field(description="subsidies paid (gross, before receivable offsets)")
    net_fen: int
    average_fen: int | None
    beneficiary_rate: Decimal | None = Field(description="paid ÷ eligible")
    persons: int = Field(description="distinct persons eligible, each once whatever the programs")
    persons_paid: int
    units: int = Field(description="distinct units eligible (以工代训)")
    units_paid: int


class TrainingProgramRow(Schema):
    program: str
    label: str
    eligible: int
    eligible_fen: int
    paid: int
    paid_fen: int


class TrainingOut(CountedOut):
    headline: TrainingHeadlineOut
    receivables: ReceivablesOut
    programs: list[TrainingProgramRow]


@router.get("/stats/training", response={200: TrainingOut, **ERRORS},
            operation_id="get_training_figures",
            summary="The skills-training subsidies' key figures for your region (another fund: "
                    "never in /stats/kpis)")
@allow(*CONSOLE_ROLES, scope=Scope.STATS_READ)
def get_training_figures(request: HttpRequest, filters: Query[KpiFilters]):
    scope = region_scope(user_of(request), filters.region)
    version = kpis.version()
    # The same cache entry as the training page's headline.
    head = kpis.cached(version, "training_headline", scope,
                       lambda: training_figures.headline(scope))
    owed = kpis.cached(version, "training_receivables", scope,
                       lambda: training_figures.receivables(scope))
    programs = kpis.cached(version, "training_programs", scope,
                           lambda: training_figures.breakdown(scope, "program"))
    return {
        **_counted(scope, version),
        "headline": {name: getattr(head, name) for name in TrainingHeadlineOut.model_fields},
        "receivables": _receivables(owed),
        "programs": [{"program": row.key, "label": row.label, "eligible": row.eligible,
                      "eligible_fen": row.eligible_fen, "paid": row.paid,
                      "paid_fen": row.paid_fen} for row in programs],
    }
