"""``wengang stats``: the headline table in the terminal; refresh, reports and roll-up files.

    wengang stats [--region 360100]          the headline table (by region below it), and
                                             a line on the training subsidies
    wengang stats refresh                    recount the summary tables (progress bar)
    wengang stats report monthly --month 2020-05 --out may.pdf   (.pdf or .xlsx)
    wengang stats report publicity 12 --out notice.pdf
    wengang stats export --region 360100 --out nanchang.json
    wengang stats import nanchang.json jingdezhen.json

A refused step prints the reason (Chinese, then English) and exits with 1.
"""

import sys
from datetime import date
from functools import wraps
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from wengang.cases.cli import setup_django

console = Console()


def _errors(function):
    @wraps(function)
    def wrapper(*args, **kwargs):
        from wengang.core.errors import CoreError

        try:
            return function(*args, **kwargs)
        except CoreError as error:
            console.print(f"[red]{error.zh}[/red]\n{error.en} [dim]({error.code})[/dim]")
            sys.exit(1)
    return wrapper


def _scope(region: str | None) -> str | None:
    from wengang.core.regions import get_region

    return get_region(region).code if region else None


def headline_table(scope: str | None) -> Table:
    """The 2020 reports' figures, by the regions directly below ``scope``, and in total."""
    from wengang.core.money import fen_to_yuan
    from wengang.stats import kpis
    from wengang.stats.charts import RATE, display

    name = kpis.region_name(scope) if scope else "全国"
    table = Table(title=f"稳岗返还统计 / refund statistics · {name}", pad_edge=False)
    # Chinese headers only, to fit 80 columns; the caption says them in English.
    table.caption = ("region · eligible · paid · amount (yuan) · employees covered · "
                     "average per unit (yuan) · beneficiary rate")
    for header in ("区划", "符合条件", "已拨付", "拨付金额（元）", "覆盖职工", "户均（元）", "受益率"):
        table.add_column(header, justify="left" if header == "区划" else "right", no_wrap=True)

    def add(label: str, row, **style) -> None:
        table.add_row(label, f"{row.eligible:,}", f"{row.paid:,}",
                      fen_to_yuan(row.paid_fen, grouping=True), f"{row.insured:,}",
                      fen_to_yuan(row.average_fen, grouping=True) if row.average_fen else "—",
                      display(row.beneficiary_rate, RATE), **style)

    for row in kpis.breakdown(scope, "region"):
        add(row.label, row)
    add("合计", kpis.headline(scope), style="bold")
    return table


@click.group(invoke_without_command=True)
@click.option("--region", default=None, help="GB/T 2260 code to count within (default: all).")
@click.pass_context
@_errors
def stats(ctx, region) -> None:
    """Statistics (统计): the headline table; refresh, reports, roll-up files."""
    setup_django()
    if ctx.invoked_subcommand is None:
        _show(_scope(region))


def _show(scope: str | None) -> None:
    from wengang.core.money import fen_to_yuan
    from wengang.stats import kpis, training_figures
    from wengang.stats.charts import RATE, display
    from wengang.stats.models import Rollup

    local = Rollup.objects.filter(source="").first()
    if local is None and not Rollup.objects.exists():
        console.print("[yellow]尚未生成统计：请先运行 wengang stats refresh[/yellow]\n"
                      "no statistics yet: run `wengang stats refresh` first")
        sys.exit(1)
    console.print(headline_table(scope))
    ttm, figures, owed = kpis.time_to_money(scope), kpis.headline(scope), kpis.receivables(scope)
    console.print(f"筛查至到账 / screening to money: 中位数 median {display(ttm.median_days, 'count')} 天 days, "
                  f"90 分位 p90 {display(ttm.p90_days, 'count')} 天 days "
                  f"({ttm.payments:,} 笔 payments)")
    console.print(f"告知触达 / reached: {figures.reached:,} ({display(figures.reach_rate, RATE)}); "
                  f"应追回未结清 / receivables open: {owed.open:,} 笔, "
                  f"{fen_to_yuan(owed.outstanding_fen, grouping=True)} 元; "
                  f"已追回 / recovered {fen_to_yuan(owed.recovered_fen, grouping=True)} 元")
    training = training_figures.headline(scope)  # another fund's money: a line apart
    if training.eligible:
        console.print(f"培训补贴（另计）/ training subsidies (apart): 已发放 paid {training.paid:,} "
                      f"人次 of {training.eligible:,} ({training.persons_paid:,} 人 persons, "
                      f"{training.units_paid:,} 家 units), "
                      f"{fen_to_yuan(training.paid_fen, grouping=True)} 元")
    for rollup in kpis.provenance(scope):
        label = "本地 local" if not rollup.source else f"导入 imported {rollup.source}"
        console.print(f"[dim]{label}: 统计截至 as of {rollup.as_of}, 计算于 computed "
                      f"{rollup.computed_at:%Y-%m-%d %H:%M}[/dim]")


@stats.command()
@click.option("--region", default=None, help="GB/T 2260 code to count within (default: all).")
@_errors
def show(region) -> None:
    """Print the headline table. 打印主要指标。"""
    _show(_scope(region))


@stats.command()
@_errors
def refresh() -> None:
    """Recount the summary tables from cases, payments and notices. 刷新统计。"""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from wengang.stats.refresh import refresh as run

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("统计 / counting", total=1.0)
        rollup = run(progress=lambda label, done: progress.update(task, description=label,
                                                                  completed=done))
    console.print(f"统计已刷新 / statistics refreshed: {rollup.cases:,} 件案件 cases, 统计日 as of "
                  f"{rollup.as_of}, {rollup.seconds:.1f} s")


@stats.group()
def report() -> None:
    """Reports as PDF or Excel (by the --out suffix). 报表。"""


def _write(out: Path, pdf, xlsx) -> None:
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".xlsx"):
        raise click.BadParameter("应为 .pdf 或 .xlsx / must end in .pdf or .xlsx", param_hint="--out")
    with console.status("生成报表 / rendering"):
        body = pdf() if suffix == ".pdf" else xlsx()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    console.print(f"已写入 / written: {out} ({len(body):,} bytes)")


@report.command()
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--region", default=None, help="GB/T 2260 code (default: all).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_errors
def monthly(month, region, out) -> None:
    """The monthly progress report. 工作进展月报。"""
    from wengang.stats import reports

    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise click.BadParameter(f"{month!r}: 应为 YYYY-MM / expected YYYY-MM",
                                 param_hint="--month") from None
    scope = _scope(region)
    _write(out, lambda: reports.monthly_pdf(scope, first), lambda: reports.monthly_xlsx(scope, first))


@report.command()
@click.argument("batch_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_errors
def publicity(batch_id, out) -> None:
    """The publicity notice (公示) of a publicity batch."""
    from wengang.cases.models import PublicityBatch
    from wengang.stats import reports

    batch = PublicityBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        console.print(f"[red]没有公示批次 {batch_id}[/red]\nno publicity batch {batch_id}")
        sys.exit(1)
    _write(out, lambda: reports.publicity_pdf(batch), lambda: reports.publicity_xlsx(batch))


@stats.command("export")
@click.option("--region", required=True, help="This deployment's GB/T 2260 code, e.g. 360100.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_errors
def export_(region, out) -> None:
    """Write this region's signed roll-up file (HMAC-SM3). 导出签名汇总文件。"""
    from wengang.stats.rollup import export

    body = export(region)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(body)
    console.print(f"已写入 / written: {out} ({len(body):,} bytes)")


@stats.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_errors
def import_(files) -> None:
    """Check and import cities' signed roll-up files, all or none. 导入城市汇总文件。"""
    from django.db import transaction

    from wengang.stats.rollup import import_file

    with transaction.atomic():  # several files: all of them, or none
        imported = [(path, import_file(path.read_bytes(), name=path.name)) for path in files]
    for path, rollup in imported:
        console.print(f"已导入 / imported {path.name}: {rollup.source}, 统计截至 as of "
                      f"{rollup.as_of}, {rollup.cases:,} 件案件 cases")
