"""A screening run: feeds in, every unit under every program decided, result and record out.

    run = screen(folder_source(Path("feeds")), programs=["inclusive-2020", "difficult-2020"],
                 as_of=date(2020, 4, 15), region_code="360100")
    run.write(Path("result.csv"))      # the FEEDS.md contract, plus result.run.json beside it

The same inputs (feed files, policy files, parameters, code version) give byte-identical output:
rows are sorted, amounts are integers until the last step, and nothing reads the clock except
the record's ``created_at``.
"""

import json
import os
import platform
import re
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

import wengang
from wengang.core.clock import clock
from wengang.policy import PolicySet, ResolvedProgram, load_policy

from .errors import InputError, OutputError
from .evaluate import features_read, output_sql, results_sql
from .features import UNIT_COLUMNS, feature_parameters, features_sql, feeds_read
from .inputs import FeedSource, register_views, sha256_file
from .risk import DEFAULT_THRESHOLDS, RiskThresholds, risk_sql, sharing_sql
from .slices import SLICE_UNITS, slice_bounds, stage, use_slice

RESULT_TABLE = "wg_results"
OUTCOMES_VIEW = "wg_outcomes"
WRITTEN_VIEW = "wg_written"
UNITS_IN_SCOPE = "wg_units"
Progress = Callable[[str, float], None]
"""Told what a run starts now and the share of the run done before it (0 to 1)."""
Step = Callable[[str], None]
"""Told what starts now (``Steps`` turns these into ``Progress``)."""


class Steps:
    """Counts a run's steps for a ``Progress``; ``total`` may grow once the work is known."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, label: str) -> None:
        if self.progress is not None:
            self.progress(label, min(self.done / self.total, 1.0))
        self.done += 1


def work_directory() -> Path:
    """Where DuckDB spills and slices are staged: the data directory, never the working folder."""
    return Path(os.environ.get("WENGANG_DATA_DIR", "var")).resolve() / "duckdb-tmp"


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(config={"temp_directory": str(work_directory())})


def region_prefix(region_code: str) -> str:
    """LIKE pattern for the units of a region: 360000 → 36%, 360100 → 3601%, 360102 → 360102."""
    if region_code.endswith("0000"):
        return region_code[:2] + "%"
    if region_code.endswith("00"):
        return region_code[:4] + "%"
    return region_code


@dataclass
class Screening:
    """The result of one run, held in a DuckDB connection until written."""

    connection: duckdb.DuckDBPyConnection
    source: FeedSource
    programs: list[ResolvedProgram]
    as_of: date
    region_code: str
    settings: dict[str, str]
    table: str = RESULT_TABLE
    outcomes: str = RESULT_TABLE
    """A relation of the result rows' ``OUTCOME_COLUMNS`` (no text): what counts and sums read."""
    written: str | None = None
    """A relation of the rows as ``write`` writes them, if made with the result (else
    ``output_sql`` over ``table``)."""
    input_hashes: dict[str, str] = field(default_factory=dict)
    slices: int = 1
    workspace: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    """Staged slices the result table reads; removed with this object."""

    _tallies: list[tuple] | None = field(default=None, repr=False)

    def tallies(self) -> list[tuple]:
        """(program, size, route, units, eligible, amount_fen) for each combination found:
        one pass over the result that the summary, the breakdowns and the record all read."""
        if self._tallies is None:
            self._tallies = self.connection.execute(f"""
                SELECT program, size, route, count(*), count(*) FILTER (WHERE eligible),
                       coalesce(sum(amount_fen), 0)::BIGINT
                FROM {self.outcomes} GROUP BY ALL""").fetchall()
        return self._tallies

    def summary(self) -> list[tuple]:
        """(program, units, eligible, amount_fen, automatic, application) per program."""
        programs: dict[str, list[int]] = {}
        for program, _size, route, units, eligible, amount_fen in self.tallies():
            total = programs.setdefault(program, [0, 0, 0, 0, 0])
            total[0] += units
            total[1] += eligible
            total[2] += amount_fen
            total[3] += units if route == "automatic" else 0
            total[4] += units if route == "application" else 0
        return [(program, *total) for program, total in sorted(programs.items())]

    def breakdown(self, column: str) -> list[tuple]:
        """(program, value, eligible units, amount_fen) by ``size`` or ``route``."""
        if column not in ("size", "route"):
            raise ValueError(column)
        groups: dict[tuple[str, str | None], list[int]] = {}
        for program, size, route, _units, eligible, amount_fen in self.tallies():
            total = groups.setdefault((program, size if column == "size" else route), [0, 0])
            total[0] += eligible
            total[1] += amount_fen
        return [(*key, *total) for key, total in
                sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] is None,
                                                         item[0][1] or ""))]

    def write(self, out: Path) -> Path:
        """Write the result (CSV or Parquet by suffix) and the run record beside it."""
        if out.suffix not in (".csv", ".parquet"):
            raise OutputError(f"{out}：结果文件须为 .csv 或 .parquet",
                              f"{out}: the result must be a .csv or .parquet file")
        out.parent.mkdir(parents=True, exist_ok=True)
        options = "FORMAT csv, HEADER true" if out.suffix == ".csv" else "FORMAT parquet"
        temporary = out.with_name(out.name + ".tmp")
        rows = (f"SELECT * FROM {self.written}" if self.written
                else output_sql(self.table, ordered=True))
        self.connection.execute(f"COPY ({rows}) TO '{_path_literal(temporary)}' ({options})")
        os.replace(temporary, out)
        with ThreadPoolExecutor(max_workers=1) as pool:
            output_sha256 = pool.submit(sha256_file, out)
            self.tallies()  # counted while the output is hashed (hashlib releases the GIL)
            record = self.record(out, output_sha256=output_sha256.result())
        record_path = out.with_name(out.stem + ".run.json")
        record_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        return record_path

    def record(self, out: Path, *, output_sha256: str | None = None) -> dict:
        """What decided this output: inputs, policy files, parameters and code version
        (``output_sha256``: the output's, if already known)."""
        rows = sum(tally[3] for tally in self.tallies())
        return {
            "created_at": clock.now().isoformat(timespec="seconds"),
            "code_version": wengang.__version__,
            "engine": {"duckdb": duckdb.__version__, "python": platform.python_version()},
            "as_of": self.as_of.isoformat(),
            "region_code": self.region_code,
            "settings": self.settings,
            "slices": self.slices,
            "inputs": {
                "kind": self.source.kind,
                "path": str(self.source.path),
                "snapshot_id": self.source.snapshot_id,
                "sha256": self.input_hashes,
            },
            "programs": {
                r.id: {
                    "policy_file": Path(r.program.source).name,
                    "policy_sha256": r.program.source_sha256,
                    "parameters": {k: _jsonable(v) for k, v in sorted(r.parameters.items())},
                }
                for r in self.programs
            },
            "output": {"path": out.name, "rows": rows,
                       "sha256": output_sha256 or sha256_file(out)},
        }


def _jsonable(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def screen(source: FeedSource, *, programs: list[str], as_of: date, region_code: str,
           settings: Mapping[str, str] | None = None, policy: PolicySet | None = None,
           risk: RiskThresholds = DEFAULT_THRESHOLDS, progress: Progress | None = None,
           slice_units: int = SLICE_UNITS) -> Screening:
    """Decide every unit of ``region_code`` under each program as of ``as_of``.

    Above ``slice_units`` units the population is screened in slices (``slices.py``).
    """
    settings = dict(settings or {})
    policy = policy or load_policy()
    resolved = resolve_programs(policy, programs, as_of=as_of, region_code=region_code,
                                settings=settings)
    years = {r.program.assessment_year for r in resolved}
    step = Steps(progress, total=1 + 2 * len(years) + 2)  # read, features and risk, evaluate, hash
    con = connect()
    workspace, outcomes, written = None, RESULT_TABLE, None
    with ThreadPoolExecutor(max_workers=1) as pool:
        source.start_hashing(pool)
        step("读取部门数据 / reading feeds")
        open_feeds(con, source, region_code=region_code, columns=UNIT_COLUMNS)
        bounds = slice_bounds(con, region_prefix=region_prefix(region_code), slice_units=slice_units)
        if bounds:
            step.total = 1 + 1 + len(bounds) + 1 + 1  # read, stage, each slice, hash
            workspace = _screen_in_slices(con, source, resolved, bounds, years=years, as_of=as_of,
                                          region_code=region_code, risk=risk, step=step)
        else:
            tables = build_features(con, source, years=years, as_of=as_of,
                                    region_code=region_code, risk=risk, step=step,
                                    needed=features_read(resolved))
            step("逐项目判定 / evaluating programs")
            # The rows and their text are built once, as ``write`` reads them.
            evaluate(con, RESULT_TABLE, resolved, tables, source, view=True,
                     outcomes=OUTCOMES_VIEW, written=WRITTEN_VIEW)
            outcomes, written = OUTCOMES_VIEW, WRITTEN_VIEW
        step("核对输入指纹 / hashing inputs")
        hashes = source.hashes()
    return Screening(connection=con, source=source, programs=resolved, as_of=as_of,
                     region_code=region_code, settings=settings, outcomes=outcomes,
                     written=written, input_hashes=hashes,
                     slices=len(bounds) + 1, workspace=workspace)


def _screen_in_slices(con: duckdb.DuckDBPyConnection, source: FeedSource,
                      resolved: list[ResolvedProgram], bounds: list[str], *, years: set[int],
                      as_of: date, region_code: str, risk: RiskThresholds,
                      step: Step) -> tempfile.TemporaryDirectory:
    """Screen each slice into a Parquet file (in order, as every result table is); the
    result table reads them in slice order."""
    work_directory().mkdir(parents=True, exist_ok=True)
    workspace = tempfile.TemporaryDirectory(prefix="wg-slices-", dir=work_directory())
    folder = Path(workspace.name)
    count = len(bounds) + 1
    step(f"按单位分片（{count} 片）/ staging {count} slices")
    needed = features_read(resolved)
    feeds = feeds_read(source.present, needed)
    stage(con, feeds, bounds=bounds, region_prefix=region_prefix(region_code), folder=folder)
    con.execute(f"DROP TABLE {UNITS_IN_SCOPE}")  # each slice reads its staged units from now on
    parts = []
    for number in range(count):
        step(f"第 {number + 1}/{count} 片 / slice {number + 1} of {count}")
        use_slice(con, feeds, folder=folder, number=number)
        tables = build_features(con, source, years=years, as_of=as_of, region_code=region_code,
                                risk=risk, step=lambda _label: None, needed=needed)
        evaluate(con, "wg_slice_results", resolved, tables, source)
        parts.append(folder / f"results-{number:04d}.parquet")
        con.execute(f"COPY wg_slice_results TO '{_path_literal(parts[-1])}' (FORMAT parquet)")
        con.execute("DROP TABLE wg_slice_results")
    files = ", ".join(f"'{_path_literal(part)}'" for part in parts)
    con.execute(f"CREATE OR REPLACE VIEW {RESULT_TABLE} AS SELECT * FROM read_parquet([{files}])")
    return workspace


def resolve_programs(policy: PolicySet, programs: list[str], *, as_of: date, region_code: str,
                     settings: Mapping[str, str]) -> list[ResolvedProgram]:
    policy.check_settings(programs, settings)
    for program_id in programs:
        if policy.program(program_id).subject != "unit":
            raise InputError(f"项目 {program_id} 按个人筛查，请用 wengang screen-persons",
                             f"program {program_id} screens persons: use `wengang screen-persons`")
    return [policy.resolve(p, on=as_of, region_code=region_code, settings=settings)
            for p in programs]


def prepare_features(con: duckdb.DuckDBPyConnection, source: FeedSource, *, years: set[int],
                     as_of: date, region_code: str, risk: RiskThresholds,
                     step: Step) -> dict[int, tuple[str, str]]:
    """Open the feeds and build each year's features and risk."""
    step("读取部门数据 / reading feeds")
    open_feeds(con, source, region_code=region_code)
    return build_features(con, source, years=years, as_of=as_of, region_code=region_code,
                          risk=risk, step=step)


def open_feeds(con: duckdb.DuckDBPyConnection, source: FeedSource, *, region_code: str,
               columns: tuple[str, ...] | None = None) -> None:
    """Register the feeds, read the region's units once into memory (sharing counts, slicing
    and features all use them: a CSV would be parsed each time), and count what units share.

    ``columns``: the units' columns to keep (default all; a run keeps those it reads, not
    names and clerks)."""
    register_views(con, source)
    params = {"region_prefix": region_prefix(region_code)}
    kept = ", ".join(columns) if columns else "*"
    _execute(con, f"CREATE OR REPLACE TEMP TABLE {UNITS_IN_SCOPE} AS "
                  f"SELECT {kept} FROM units WHERE region_code LIKE $region_prefix", params, source)
    con.execute(f"CREATE OR REPLACE VIEW units AS SELECT * FROM {UNITS_IN_SCOPE}")
    for statement in sharing_sql():
        _execute(con, statement, params, source)


def build_features(con: duckdb.DuckDBPyConnection, source: FeedSource, *, years: set[int],
                   as_of: date, region_code: str, risk: RiskThresholds, step: Step,
                   needed: frozenset[str] | None = None) -> dict[int, tuple[str, str]]:
    """The features and risk tables of each assessment year, over the registered feeds
    (``needed``: the features the programs read, see ``features_sql``; default all)."""
    tables: dict[int, tuple[str, str]] = {}
    for year in sorted(years):
        features, risk_table = f"wg_features_{year}", f"wg_risk_{year}"
        params = {**feature_parameters(assessment_year=year, as_of=as_of),
                  "region_prefix": region_prefix(region_code)}
        step(f"计算 {year} 年特征 / features for {year}")
        _execute(con, features_sql(features, has=source.present, needed=needed), params, source)
        step("风险提示 / risk flags")
        _execute(con, risk_sql(risk_table, features=features, thresholds=risk), {"as_of": as_of},
                 source)
        tables[year] = (features, risk_table)
    return tables


def evaluate(con: duckdb.DuckDBPyConnection, table: str, resolved: list[ResolvedProgram],
             tables: dict[int, tuple[str, str]], source: FeedSource, *, view: bool = False,
             outcomes: str | None = None, written: str | None = None) -> None:
    """Create ``table`` with every program's decisions over the prepared features (a view
    when ``view``; ``outcomes``, ``written``: also views of its rows without text and as
    written, see ``results_sql``)."""
    per_program = [(r, *tables[r.program.assessment_year]) for r in resolved]
    for statement in results_sql(table, per_program, view=view, outcomes=outcomes,
                                 written=written):
        _execute(con, statement, {}, source)


def _path_literal(path: Path) -> str:
    return str(path).replace("'", "''")


def _execute(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object],
             source: FeedSource) -> None:
    """The one place screening talks to DuckDB (easy to log and time)."""
    try:
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        con.execute(sql, used)
    except duckdb.ConversionException as error:
        raise InputError(
            f"{source.path}：数据无法按约定的类型读取（{error}）；请先用 wengang import 校验，查看完整问题清单",
            f"{source.path}: data does not convert to the contract's types ({error}); run "
            "`wengang import` for a full validation report",
        ) from None
    except duckdb.InvalidInputException as error:
        raise InputError(f"{source.path}：数据无法读取（{error}）",
                         f"{source.path}: data cannot be read ({error})") from None
