"""What a screening run found, as rich tables for the terminal."""

from rich.console import Group
from rich.table import Table

from wengang.core.money import fen_to_yuan
from wengang.core.sizing import Size

from .run import Screening

SIZE_NAMES = {size.value: size.label_zh for size in Size}
ROUTE_NAMES = {"automatic": "免申即享", "application": "申请（确认+承诺）", "none": "不符合"}


def screening_summary(run: Screening) -> Group:
    """Units, eligible units and money by program, then by size and by route."""
    overview = Table(title=f"比对筛查结果 / screening result（{run.as_of}，{run.region_code}）")
    for header in ("项目 program", "单位 units", "符合 eligible", "金额（元）amount (yuan)",
                   "免申即享 automatic", "申请 application"):
        overview.add_column(header, justify="right" if "program" not in header else "left")
    for program, units, eligible, amount_fen, automatic, application in run.summary():
        overview.add_row(program, f"{units:,}", f"{eligible:,}", fen_to_yuan(amount_fen, grouping=True),
                         f"{automatic:,}", f"{application:,}")
    tables = [overview]
    for column, names, title in (("size", SIZE_NAMES, "按规模 / by size"),
                                 ("route", ROUTE_NAMES, "按渠道 / by route")):
        table = Table(title=title)
        for header in ("项目 program", column, "符合 eligible", "金额（元）amount (yuan)"):
            table.add_column(header, justify="left" if header in ("项目 program", column) else "right")
        for program, value, eligible, amount_fen in run.breakdown(column):
            table.add_row(program, names.get(value, value), f"{eligible:,}",
                          fen_to_yuan(amount_fen, grouping=True))
        tables.append(table)
    return Group(*tables)
