"""Each chart of the dashboards as a table first: the page draws it, shows it as a table,
and offers it as Excel from the same rows (one definition, three views).

A chart is named by a slug (``CHARTS``); ``build(slug, scope)`` returns its ``ChartTable``.
Cells are typed by their column's kind — money in fen, rates as ``Decimal`` fractions, counts
and days as integers — so the page, the Excel sheet and the PDF format them each their way.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wengang.core.money import fen_to_yuan

from . import kpis, training_figures

MONEY, RATE, COUNT, TEXT, DAYS = "money", "rate", "count", "text", "days"


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = COUNT


@dataclass
class ChartTable:
    slug: str
    title: str
    columns: list[Column]
    rows: list[list]
    chart: dict = field(default_factory=dict)
    """For static/stats/charts.js: {type, labels, series: [{name, values, axis}], units}."""
    keys: list[str] = field(default_factory=list)
    """The key of each row (a region code, a program id …) where rows have one."""

    @property
    def element_id(self) -> str:
        return f"stats-chart-{self.slug}"

    def display_rows(self) -> list[list[str]]:
        return [[display(cell, column.kind) for cell, column in zip(row, self.columns)]
                for row in self.rows]


def display(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == MONEY:
        return fen_to_yuan(int(value), grouping=True)
    if kind == RATE:
        return f"{(Decimal(value) * 100).quantize(Decimal('0.01'))}%"
    if kind in (COUNT, DAYS) and isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _yuan(fen: int | None) -> float:
    """Chart values in yuan (ECharts plots numbers; tables keep exact fen)."""
    return round((fen or 0) / 100, 2)


def _figures_table(slug: str, title: str, key_header: str, rows: list[kpis.Figures]) -> ChartTable:
    columns = [Column(key_header, TEXT), Column(_("符合条件单位")), Column(_("已拨付单位")),
               Column(_("拨付金额（元）"), MONEY), Column(_("覆盖职工")),
               Column(_("户均金额（元）"), MONEY), Column(_("受益率"), RATE)]
    body = [[row.label, row.eligible, row.paid, row.paid_fen, row.insured, row.average_fen,
             row.beneficiary_rate] for row in rows]
    chart = {"type": "bar", "labels": [row.label for row in rows],
             "series": [{"name": _("拨付金额（元）"), "values": [_yuan(r.paid_fen) for r in rows]},
                        {"name": _("已拨付单位"), "values": [r.paid for r in rows], "axis": 1},
                        {"name": _("符合条件单位"), "values": [r.eligible for r in rows], "axis": 1}],
             "axes": [_("元"), _("单位")]}
    return ChartTable(slug, title, columns, body, chart, keys=[row.key for row in rows])


def _by(by: str, title, header):
    def build(scope: str | None) -> ChartTable:
        return _figures_table(by, str(title), str(header), kpis.breakdown(scope, by))
    return build


def _weekly_chart(rows) -> dict:
    """Money arrived each week as bars, the running total as a line."""
    return {"type": "line", "labels": [row.key for row in rows],
            "series": [{"name": _("当周到账（元）"), "values": [_yuan(r.paid_fen) for r in rows],
                        "bar": True},
                       {"name": _("累计到账（元）"),
                        "values": [_yuan(fen) for fen in accumulate(r.paid_fen for r in rows)]}],
            "axes": [_("元")]}


def _trend(scope: str | None) -> ChartTable:
    rows = kpis.breakdown(scope, "week")
    columns = [Column(_("周（自周一）"), TEXT), Column(_("到账单位")), Column(_("到账金额（元）"), MONEY),
               Column(_("覆盖职工"))]
    chart = _weekly_chart(rows)
    return ChartTable("week", _("按周拨付进度"), columns,
                      [[row.key, row.paid, row.paid_fen, row.insured] for row in rows], chart)


def _time_to_money(scope: str | None) -> ChartTable:
    ttm = kpis.time_to_money(scope)
    columns = [Column(_("筛查至到账（天）"), DAYS), Column(_("到账单位"))]
    chart = {"type": "bar", "labels": [str(days) for days, _n in ttm.histogram],
             "series": [{"name": _("到账单位"), "values": [n for _days, n in ttm.histogram]}],
             "axes": [_("单位")], "vertical": True}
    return ChartTable("time_to_money", _("筛查到资金到账用时分布"), columns,
                      [[days, n] for days, n in ttm.histogram], chart)


def _steps(scope: str | None) -> ChartTable:
    ttm = kpis.time_to_money(scope)
    labels = [str(step) for step in kpis.TimeToMoneyFigures.STEPS]
    average = [(Decimal(days) / ttm.payments).quantize(Decimal("0.1")) if ttm.payments else None
               for days in ttm.step_days]
    columns = [Column(_("环节"), TEXT), Column(_("平均用时（天）"), TEXT), Column(_("占总用时"), RATE)]
    chart = {"type": "pie", "labels": labels,
             "series": [{"name": _("占总用时"), "values": [float(s or 0) for s in ttm.step_shares]}]}
    return ChartTable("steps", _("各环节用时占比"), columns,
                      [[label, mean, share] for label, mean, share
                       in zip(labels, average, ttm.step_shares)], chart)


def _pipeline(scope: str | None) -> ChartTable:
    rows = kpis.pipeline(scope)
    columns = [Column(_("状态"), TEXT), Column(_("案件")), Column(_("符合条件金额（元）"), MONEY)]
    chart = {"type": "bar", "labels": [label for _s, label, _n, _f in rows],
             "series": [{"name": _("案件"), "values": [n for _s, _l, n, _f in rows]}],
             "axes": [_("案件")]}
    return ChartTable("pipeline", _("案件办理进度（按状态）"), columns,
                      [[label, n, fen] for _s, label, n, fen in rows], chart)


def _channels(scope: str | None) -> ChartTable:
    rows = kpis.by_channel(scope)
    columns = [Column(_("渠道"), TEXT), Column(_("告知")), Column(_("已发送")), Column(_("已送达")),
               Column(_("失败")), Column(_("待发送")), Column(_("送达率"), RATE)]
    chart = {"type": "bar", "labels": [r.label for r in rows], "stack": True,
             "series": [{"name": _("已送达"), "values": [r.delivered for r in rows]},
                        {"name": _("已发送未回执"), "values": [r.sent - r.delivered for r in rows]},
                        {"name": _("失败"), "values": [r.failed for r in rows]},
                        {"name": _("待发送"), "values": [r.pending for r in rows]}],
             "axes": [_("条")]}
    return ChartTable("channels", _("告知触达（按渠道）"), columns,
                      [[r.label, r.notices, r.sent, r.delivered, r.failed, r.pending,
                        r.delivery_rate] for r in rows], chart)


def _compliance(scope: str | None, department: str | None = None) -> ChartTable:
    rows = kpis.review_compliance(scope, department=department)
    columns = [Column(_("部门"), TEXT), Column(_("任务")), Column(_("按时办结")), Column(_("逾期办结")),
               Column(_("待办未逾期")), Column(_("待办已逾期")), Column(_("按时率"), RATE)]
    chart = {"type": "bar", "labels": [r.label for r in rows], "stack": True,
             "series": [{"name": _("按时办结"), "values": [r.on_time for r in rows]},
                        {"name": _("逾期办结"), "values": [r.late for r in rows]},
                        {"name": _("待办已逾期"), "values": [r.overdue for r in rows]},
                        {"name": _("待办未逾期"), "values": [r.pending for r in rows]}],
             "axes": [_("任务")]}
    return ChartTable("compliance", _("联审时限执行情况（按部门）"), columns,
                      [[r.label, r.tasks, r.on_time, r.late, r.pending, r.overdue, r.rate]
                       for r in rows], chart)


# The training subsidies (培训补贴): their own charts, from their own tables (training_figures).

def _training_table(by: str, title, header):
    def build(scope: str | None) -> ChartTable:
        rows = training_figures.breakdown(scope, by)
        columns = [Column(str(header), TEXT), Column(_("符合条件（人/户）")),
                   Column(_("已发放（人/户）")), Column(_("发放金额（元）"), MONEY),
                   Column(_("人（户）均金额（元）"), MONEY), Column(_("受益率"), RATE),
                   Column(_("应追回（元）"), MONEY), Column(_("已追回（元）"), MONEY)]
        body = [[row.label, row.eligible, row.paid, row.paid_fen, row.average_fen,
                 row.beneficiary_rate, row.receivable_fen, row.recovered_fen] for row in rows]
        chart = {"type": "bar", "labels": [row.label for row in rows],
                 "series": [{"name": _("发放金额（元）"), "values": [_yuan(r.paid_fen) for r in rows]},
                            {"name": _("已发放（人/户）"), "values": [r.paid for r in rows],
                             "axis": 1},
                            {"name": _("符合条件（人/户）"), "values": [r.eligible for r in rows],
                             "axis": 1}],
                 "axes": [_("元"), _("人/户")]}
        return ChartTable(f"training_{by}", str(title), columns, body, chart,
                          keys=[row.key for row in rows])
    return build


def _training_subjects(scope: str | None) -> ChartTable:
    rows = training_figures.breakdown(scope, "subject")
    columns = [Column(_("补贴事项"), TEXT), Column(_("符合条件（人/户）")), Column(_("已发放（人/户）")),
               Column(_("符合条件事项")), Column(_("已发放事项")), Column(_("发放金额（元）"), MONEY),
               Column(_("人（户）均金额（元）"), MONEY), Column(_("受益率"), RATE)]
    body = [[row.label, row.eligible, row.paid, row.items, row.paid_items, row.paid_fen,
             row.average_fen, row.beneficiary_rate] for row in rows]
    chart = {"type": "bar", "labels": [row.label for row in rows],
             "series": [{"name": _("发放金额（元）"), "values": [_yuan(r.paid_fen) for r in rows]},
                        {"name": _("已发放事项"), "values": [r.paid_items for r in rows], "axis": 1},
                        {"name": _("符合条件事项"), "values": [r.items for r in rows], "axis": 1}],
             "axes": [_("元"), _("项")]}
    return ChartTable("training_subject", _("按补贴事项（证书等级、以工代训）"), columns, body, chart,
                      keys=[row.key for row in rows])


def _training_weeks(scope: str | None) -> ChartTable:
    rows = training_figures.breakdown(scope, "week")
    columns = [Column(_("周（自周一）"), TEXT), Column(_("到账笔数")), Column(_("到账金额（元）"), MONEY)]
    chart = _weekly_chart(rows)
    return ChartTable("training_week", _("培训补贴按周发放进度"), columns,
                      [[row.key, row.paid, row.paid_fen] for row in rows], chart)


CHARTS = {
    "region": _by("region", gettext_lazy("按行政区划"), gettext_lazy("行政区划")),
    "program": _by("program", gettext_lazy("按政策项目"), gettext_lazy("政策项目")),
    "size": _by("size", gettext_lazy("按企业规模"), gettext_lazy("企业规模")),
    "industry": _by("industry", gettext_lazy("按行业门类"), gettext_lazy("行业门类")),
    "week": _trend,
    "time_to_money": _time_to_money,
    "steps": _steps,
    "pipeline": _pipeline,
    "channels": _channels,
    "compliance": _compliance,
    "training_program": _training_table("program", gettext_lazy("按培训补贴项目"),
                                        gettext_lazy("政策项目")),
    "training_subject": _training_subjects,
    "training_region": _training_table("region", gettext_lazy("按行政区划"),
                                       gettext_lazy("行政区划")),
    "training_week": _training_weeks,
}
OVERVIEW = ("region", "program", "week", "size", "industry")
OPERATIONS = ("pipeline", "time_to_money", "steps", "channels", "compliance")
DEPARTMENTS = ("compliance",)
TRAINING = ("training_region", "training_program", "training_subject", "training_week")


def build(slug: str, scope: str | None, **options) -> ChartTable:
    """The chart ``slug`` for ``scope``; ``KeyError`` for an unknown slug."""
    return CHARTS[slug](scope, **options)
