"""What a screening run found and what changed since the previous one, read from result files.

The result files (FEEDS.md "Screening result", CSV or Parquet) are the record of a run; the
database holds only the cases they opened. DuckDB reads them as they are: every column text,
the amount in yuan with two decimals, turned into integer fen once here.

    summary = run_summary(Path(run.result_path))
    difference = run_difference(Path(run.result_path), Path(previous.result_path))
"""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from wengang.screening.errors import InputError

CHANGES_LISTED = 200
"""Changed units listed by name on the page; the counts cover them all."""


@dataclass(frozen=True)
class ProgramSummary:
    program: str
    units: int
    eligible: int
    amount_fen: int
    automatic: int
    application: int


@dataclass(frozen=True)
class Breakdown:
    program: str
    value: str
    eligible: int
    amount_fen: int


@dataclass(frozen=True)
class RunSummary:
    programs: list[ProgramSummary]
    by_size: list[Breakdown]
    by_route: list[Breakdown]


@dataclass(frozen=True)
class ProgramChange:
    program: str
    newly_eligible: int
    no_longer_eligible: int
    amount_changed: int
    amount_delta_fen: int


@dataclass(frozen=True)
class UnitChange:
    uscc: str
    program: str
    change: str            # "newly_eligible", "no_longer_eligible" or "amount_changed"
    before_fen: int
    after_fen: int


@dataclass(frozen=True)
class RunDifference:
    programs: list[ProgramChange]
    units: list[UnitChange]


def _open(con: duckdb.DuckDBPyConnection, view: str, path: Path) -> None:
    """Register the result at ``path`` as ``view`` (the path is passed, never put in SQL)."""
    if path.suffix == ".csv":
        relation = con.read_csv(str(path), header=True, all_varchar=True)
    elif path.suffix == ".parquet":
        relation = con.read_parquet(str(path))
    else:
        raise InputError(f"{path}：结果文件须为 .csv 或 .parquet",
                         f"{path}: the result must be a .csv or .parquet file")
    relation.create_view(view)


def _connect(**files: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for view, path in files.items():
        if not path.is_file():
            con.close()
            raise InputError(f"{path}：找不到结果文件（已移动或删除）",
                             f"{path}: result file not found (moved or deleted)")
        try:
            _open(con, view, path)
        except duckdb.Error as error:
            con.close()
            raise InputError(f"{path}：无法读取结果文件（{error}）",
                             f"{path}: cannot read the result file ({error})") from None
    return con


def decisions_sql(view: str) -> str:
    """One row per unit and program: eligible as a boolean, the amount in fen."""
    return f"""
        SELECT uscc, program, lower(CAST(eligible AS VARCHAR)) = 'true' AS eligible,
               CAST(round(CAST(amount AS DECIMAL(18, 2)) * 100) AS BIGINT) AS amount_fen,
               size, route
        FROM {view}"""


def summary_sql() -> str:
    return f"""
        SELECT program, count(*), count(*) FILTER (WHERE eligible),
               coalesce(sum(amount_fen) FILTER (WHERE eligible), 0)::BIGINT,
               count(*) FILTER (WHERE eligible AND route = 'automatic'),
               count(*) FILTER (WHERE eligible AND route = 'application')
        FROM ({decisions_sql("current_result")}) GROUP BY program ORDER BY program"""


def breakdown_sql(column: str) -> str:
    if column not in ("size", "route"):
        raise ValueError(column)
    return f"""
        SELECT program, {column}, count(*) FILTER (WHERE eligible),
               coalesce(sum(amount_fen) FILTER (WHERE eligible), 0)::BIGINT
        FROM ({decisions_sql("current_result")}) GROUP BY ALL ORDER BY program, {column}"""


def changes_sql() -> str:
    """Eligible units of either run, joined on (unit, program), kept where something changed."""
    return f"""
        WITH
        before AS (SELECT uscc, program, amount_fen
                   FROM ({decisions_sql("previous_result")}) WHERE eligible),
        after AS (SELECT uscc, program, amount_fen
                  FROM ({decisions_sql("current_result")}) WHERE eligible)
        SELECT coalesce(after.uscc, before.uscc) AS uscc,
               coalesce(after.program, before.program) AS program,
               CASE WHEN before.uscc IS NULL THEN 'newly_eligible'
                    WHEN after.uscc IS NULL THEN 'no_longer_eligible'
                    ELSE 'amount_changed' END AS change,
               coalesce(before.amount_fen, 0) AS before_fen,
               coalesce(after.amount_fen, 0) AS after_fen
        FROM before FULL OUTER JOIN after USING (uscc, program)
        WHERE before.uscc IS NULL OR after.uscc IS NULL OR before.amount_fen <> after.amount_fen"""


def change_counts_sql() -> str:
    return f"""
        SELECT program,
               count(*) FILTER (WHERE change = 'newly_eligible'),
               count(*) FILTER (WHERE change = 'no_longer_eligible'),
               count(*) FILTER (WHERE change = 'amount_changed'),
               coalesce(sum(after_fen - before_fen), 0)::BIGINT
        FROM ({changes_sql()}) GROUP BY program ORDER BY program"""


def _query(con: duckdb.DuckDBPyConnection, sql: str, *, path: Path, **params) -> list[tuple]:
    """The one place these reports talk to DuckDB: a malformed file is an ``InputError``."""
    try:
        return con.execute(sql, params or None).fetchall()
    except duckdb.Error as error:
        raise InputError(f"{path}：结果文件内容不符合约定（{error}）",
                         f"{path}: the result file does not follow the contract ({error})") from None


def run_summary(result: Path) -> RunSummary:
    """Units, eligible units and money by program, then by size and by route."""
    with _connect(current_result=result) as con:
        return RunSummary(
            programs=[ProgramSummary(*row) for row in _query(con, summary_sql(), path=result)],
            by_size=[Breakdown(*row) for row in _query(con, breakdown_sql("size"), path=result)],
            by_route=[Breakdown(*row) for row in _query(con, breakdown_sql("route"), path=result)])


def run_difference(result: Path, previous: Path) -> RunDifference:
    """Units newly eligible, no longer eligible or with another amount, against ``previous``."""
    with _connect(current_result=result, previous_result=previous) as con:
        counts = _query(con, change_counts_sql(), path=result)
        units = _query(con, f"SELECT * FROM ({changes_sql()}) ORDER BY program, change, uscc "
                            "LIMIT $limit", path=result, limit=CHANGES_LISTED)
    return RunDifference(programs=[ProgramChange(*row) for row in counts],
                         units=[UnitChange(*row) for row in units])
