"""Documents: the publicity notice (公示) and the monthly progress report, as PDF and Excel.

PDFs are rendered by WeasyPrint from a template with a CJK font (``fonts-wqy-zenhei``, which the
Makefile installs): without one Chinese prints as empty boxes. Excel files carry the same tables.

The publicity notice is an official document and is always in Chinese; the monthly report is in
Chinese unless another ``language`` is asked for (the web passes the reader's).
"""

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from wengang.cases.models import PublicityBatch
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan

from . import charts, kpis
from .charts import COUNT, MONEY, RATE, TEXT, ChartTable, Column
from .excel import workbook
from .models import Rollup

PRINT_CSS = Path(__file__).resolve().parent / "static" / "stats" / "print.css"


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import CSS, HTML  # a heavy import, only where a PDF is made

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PRINT_CSS))])


# --- publicity notice ----------------------------------------------------------------------

@dataclass(frozen=True)
class PublicityNotice:
    title: str
    intro: str
    issuer: str
    issued_on: date
    table: ChartTable
    total_fen: int


def publicity_notice(batch: PublicityBatch) -> PublicityNotice:
    from wengang.web.display import program_name

    items = list(batch.items.select_related("case__unit").order_by("case_id"))
    region = kpis.region_name(batch.region_code)
    programs = sorted({item.case.program for item in items} | ({batch.program} - {""}))
    years = sorted({item.case.refund_year for item in items})
    year = "、".join(str(y) for y in years) or str(batch.start_on.year)
    total = sum(item.case.amount_fen for item in items)
    names = "、".join(program_name(p) for p in programs) or _("失业保险稳岗返还")
    title = _("%(region)s%(year)s年失业保险稳岗返还拟返还单位名单公示") % {
        "region": region, "year": year}
    intro = _("经比对筛查和部门联审，以下 %(n)d 家单位符合%(programs)s条件，拟返还金额合计 "
              "%(total)s 元，现予公示。公示期自 %(start)s 至 %(end)s（%(workdays)d 个工作日）。"
              "公示期间，对名单有异议的，可通过稳岗通网站公示栏目或向社会保险经办机构提出，"
              "并请说明理由、留下联系方式。") % {
        "n": len(items), "programs": names, "total": fen_to_yuan(total, grouping=True),
        "start": f"{batch.start_on:%Y-%m-%d}", "end": f"{batch.end_on:%Y-%m-%d}",
        "workdays": batch.workdays}
    columns = [Column(_("序号")), Column(_("单位名称"), TEXT), Column(_("统一社会信用代码"), TEXT),
               Column(_("返还金额（元）"), MONEY)]
    rows = [[n, item.case.unit.name, item.case.unit.uscc, item.case.amount_fen]
            for n, item in enumerate(items, start=1)]
    return PublicityNotice(title=title, intro=intro, issuer=_("%(region)s社会保险经办机构") % {
        "region": region}, issued_on=batch.start_on, table=ChartTable("publicity", title, columns,
                                                                     rows), total_fen=total)


def publicity_pdf(batch: PublicityBatch) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf("stats/pdf/publicity.html", {"notice": publicity_notice(batch)})


def publicity_xlsx(batch: PublicityBatch) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        notice = publicity_notice(batch)
        return workbook([notice.table], heading=[notice.intro])


# --- monthly progress report ---------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyReport:
    title: str
    scope_name: str
    month: date
    month_end: date
    as_of: date | None
    summary: ChartTable
    tables: list[ChartTable]
    ttm: kpis.TimeToMoneyFigures
    made_on: date


def monthly_report(scope: str | None, month: date) -> MonthlyReport:
    """The month's progress in ``scope``: paid in the month and to its end, and the state of
    work as of the last refresh (regions, programs, time to money, review deadlines, outreach).
    """
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    name = kpis.region_name(scope) if scope else _("全国")
    headline = kpis.headline(scope)
    to_date = kpis.paid(scope, until=last)
    in_month = kpis.paid(scope, since=first, until=last)
    receivables = kpis.receivables(scope)
    ttm = kpis.time_to_money(scope)
    local = Rollup.objects.filter(source="").first()
    summary = ChartTable("summary", _("主要指标"), [Column(_("指标"), TEXT), Column(_("数值"), TEXT)], [
        [_("符合条件单位（截至统计日）"), f"{headline.eligible:,}"],
        [_("本月到账单位"), f"{in_month.paid:,}"],
        [_("本月到账金额（元）"), fen_to_yuan(in_month.paid_fen, grouping=True)],
        [_("累计到账单位（截至月末）"), f"{to_date.paid:,}"],
        [_("累计到账金额（元，截至月末）"), fen_to_yuan(to_date.paid_fen, grouping=True)],
        [_("累计覆盖职工（人）"), f"{to_date.insured:,}"],
        [_("户均返还（元）"), charts.display(to_date.average_fen, MONEY)],
        [_("受益率（已拨付 ÷ 符合条件）"), charts.display(kpis._ratio(to_date.paid, headline.eligible),
                                                 RATE)],
        [_("告知触达率"), charts.display(headline.reach_rate, RATE)],
        [_("筛查至到账用时中位数（天）"), charts.display(ttm.median_days, COUNT)],
        [_("筛查至到账用时 90 分位（天）"), charts.display(ttm.p90_days, COUNT)],
        [_("应追回未结清（元）"), fen_to_yuan(receivables.outstanding_fen, grouping=True)],
        [_("已追回（元）"), fen_to_yuan(receivables.recovered_fen, grouping=True)],
    ])
    title = _("%(scope)s失业保险稳岗返还工作进展月报（%(year)d年%(month)d月）") % {
        "scope": name, "year": first.year, "month": first.month}
    tables = [charts.build(slug, scope) for slug in ("region", "program", "steps", "compliance",
                                                      "channels")]
    return MonthlyReport(title=title, scope_name=name, month=first, month_end=last,
                         as_of=local.as_of if local else None, summary=summary, tables=tables,
                         ttm=ttm, made_on=clock.today())


def monthly_pdf(scope: str | None, month: date, *, language: str | None = None) -> bytes:
    with translation.override(language or settings.LANGUAGE_CODE):
        return _pdf("stats/pdf/monthly.html", {"report": monthly_report(scope, month)})


def monthly_xlsx(scope: str | None, month: date, *, language: str | None = None) -> bytes:
    with translation.override(language or settings.LANGUAGE_CODE):
        report = monthly_report(scope, month)
        heading = [report.title, _("统计截至：%(as_of)s") % {"as_of": report.as_of or "—"}]
        return workbook([report.summary, *report.tables], heading=heading)
