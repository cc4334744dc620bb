"""What-if simulation: the same units under baseline and changed parameters, compared.

Policy staff cost a local choice before adopting it (``--set ratio_sme=0.9``): features are
computed once, every program is evaluated twice, and the two result tables are compared by
program, size, industry sector and region, with the units that win or lose money listed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb

from wengang.policy import PolicySet, load_policy

from .inputs import FeedSource
from .risk import DEFAULT_THRESHOLDS
from .run import Progress, Steps, connect, evaluate, prepare_features, resolve_programs

BASELINE, SCENARIO = "wg_baseline", "wg_scenario"

# GB/T 4754-2017 sections (门类) by the first two digits of the industry code.
SECTIONS = (
    ("01", "05", "A 农、林、牧、渔业"), ("06", "12", "B 采矿业"), ("13", "43", "C 制造业"),
    ("44", "46", "D 电力、热力、燃气及水生产和供应业"), ("47", "50", "E 建筑业"),
    ("51", "52", "F 批发和零售业"), ("53", "60", "G 交通运输、仓储和邮政业"),
    ("61", "62", "H 住宿和餐饮业"), ("63", "65", "I 信息传输、软件和信息技术服务业"),
    ("66", "69", "J 金融业"), ("70", "70", "K 房地产业"), ("71", "72", "L 租赁和商务服务业"),
    ("73", "75", "M 科学研究和技术服务业"), ("76", "79", "N 水利、环境和公共设施管理业"),
    ("80", "82", "O 居民服务、修理和其他服务业"), ("83", "83", "P 教育"),
    ("84", "85", "Q 卫生和社会工作"), ("86", "90", "R 文化、体育和娱乐业"),
    ("91", "96", "S 公共管理、社会保障和社会组织"), ("97", "97", "T 国际组织"),
)


def section_sql(division: str) -> str:
    whens = " ".join(f"WHEN {division} BETWEEN '{low}' AND '{high}' THEN '{name}'"
                     for low, high, name in SECTIONS)
    return f"CASE {whens} ELSE '未知行业' END"


@dataclass
class Simulation:
    connection: duckdb.DuckDBPyConnection
    settings: dict[str, str]
    baseline_settings: dict[str, str]

    def comparison(self) -> list[tuple]:
        """(dimension, value, baseline units, scenario units, baseline fen, scenario fen)."""
        return self.connection.execute(_comparison_sql()).fetchall()

    def changes(self, limit: int | None = None) -> list[tuple]:
        """Units whose decision or amount differs, largest change first."""
        sql = """
            SELECT b.uscc, b.program, b.eligible, s.eligible, b.amount_fen, s.amount_fen,
                   s.amount_fen - b.amount_fen AS delta_fen
            FROM wg_baseline b JOIN wg_scenario s USING (uscc, program)
            WHERE b.amount_fen <> s.amount_fen OR b.eligible <> s.eligible
            ORDER BY abs(s.amount_fen - b.amount_fen) DESC, b.uscc, b.program"""
        return self.connection.execute(sql + (f" LIMIT {int(limit)}" if limit else "")).fetchall()

    def winners_and_losers(self) -> tuple[int, int, int, int]:
        """(units gaining, fen gained, units losing, fen lost)."""
        return self.connection.execute("""
            SELECT count(*) FILTER (WHERE s.amount_fen > b.amount_fen),
                   coalesce(sum(s.amount_fen - b.amount_fen) FILTER (WHERE s.amount_fen > b.amount_fen), 0)::BIGINT,
                   count(*) FILTER (WHERE s.amount_fen < b.amount_fen),
                   coalesce(sum(b.amount_fen - s.amount_fen) FILTER (WHERE s.amount_fen < b.amount_fen), 0)::BIGINT
            FROM wg_baseline b JOIN wg_scenario s USING (uscc, program)""").fetchall()[0]


def _comparison_sql() -> str:
    dimensions = {
        "program": "r.program",
        "size": "r.size",
        "industry": section_sql("f.industry_division"),
        "region": "f.region_code",
    }
    parts = []
    for name, expression in dimensions.items():
        parts.append(f"""
        SELECT '{name}' AS dimension, {expression} AS value,
               count(*) FILTER (WHERE r.eligible AND r.scenario = false) AS baseline_units,
               count(*) FILTER (WHERE r.eligible AND r.scenario) AS scenario_units,
               coalesce(sum(r.amount_fen) FILTER (WHERE r.scenario = false), 0)::BIGINT AS baseline_fen,
               coalesce(sum(r.amount_fen) FILTER (WHERE r.scenario), 0)::BIGINT AS scenario_fen
        FROM both_runs r JOIN wg_features_any f USING (uscc)
        GROUP BY ALL""")
    return f"""
    WITH both_runs AS (
        SELECT *, false AS scenario FROM {BASELINE}
        UNION ALL SELECT *, true AS scenario FROM {SCENARIO}
    )
    SELECT * FROM ({' UNION ALL '.join(parts)})
    ORDER BY dimension, value"""


def simulate(source: FeedSource, *, programs: list[str], as_of: date, region_code: str,
             settings: Mapping[str, str], baseline_settings: Mapping[str, str] | None = None,
             policy: PolicySet | None = None, progress: Progress | None = None) -> Simulation:
    """Evaluate ``programs`` with ``baseline_settings`` and with ``settings`` on the same features."""
    policy = policy or load_policy()
    baseline_settings = dict(baseline_settings or {})
    scenario_settings = {**baseline_settings, **settings}
    baseline = resolve_programs(policy, programs, as_of=as_of, region_code=region_code,
                                settings=baseline_settings)
    scenario = resolve_programs(policy, programs, as_of=as_of, region_code=region_code,
                                settings=scenario_settings)
    years = {r.program.assessment_year for r in baseline}
    step = Steps(progress, total=1 + 2 * len(years) + 2)  # read, features and risk, two evaluations
    con = connect()
    tables = prepare_features(con, source, years=years,
                              as_of=as_of, region_code=region_code, risk=DEFAULT_THRESHOLDS, step=step)
    # Unit attributes (industry, region) do not depend on the year: any features table has them.
    con.execute(f"CREATE OR REPLACE TEMP VIEW wg_features_any AS "
                f"SELECT uscc, industry_division, region_code FROM {next(iter(tables.values()))[0]}")
    step("基准方案 / baseline")
    evaluate(con, BASELINE, baseline, tables, source)
    step("调整方案 / scenario")
    evaluate(con, SCENARIO, scenario, tables, source)
    return Simulation(connection=con, settings=dict(settings), baseline_settings=baseline_settings)
