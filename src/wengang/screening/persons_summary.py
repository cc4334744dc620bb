"""What a person screening found, as rich tables for the terminal (no resident ID is shown)."""

from rich.console import Group
from rich.table import Table

from wengang.core.money import fen_to_yuan

from .persons import PersonScreening


def person_screening_summary(run: PersonScreening) -> Group:
    """Records, eligible records and money by program, then failures by rule."""
    overview = Table(title=f"培训补贴筛查结果 / training screening（{run.as_of}，{run.region_code}）")
    for header in ("项目 program", "记录 records", "符合 eligible", "金额（元）amount (yuan)",
                   "受益人员 persons", "受益单位 units"):
        overview.add_column(header, justify="left" if "program" in header else "right")
    for program, records, eligible, amount_fen, persons, units in run.summary():
        overview.add_row(program, f"{records:,}", f"{eligible:,}",
                         fen_to_yuan(amount_fen, grouping=True), f"{persons:,}", f"{units:,}")
    failures = Table(title="不符合的原因（含重复申领）/ failures by rule (duplicates included)")
    for header in ("项目 program", "规则 rule", "记录 records"):
        failures.add_column(header, justify="right" if header == "记录 records" else "left")
    for program, rule, count in run.failures():
        failures.add_row(program, rule, f"{count:,}")
    return Group(overview, failures)
