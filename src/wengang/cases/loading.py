"""Load a screening result into cases: in bulk, set-based and idempotent.

    summary = load_screening(Path("var/runs/result.parquet"), actor=officer)

The result (CSV or Parquet, FEEDS.md "Screening result") comes with its run record
(``<stem>.run.json``). Both are checked against each other and against the feeds the run
screened that loading reads (units, registry, contributions: the record names them and their
SHA-256). DuckDB reads and checks the files and computes what the file lacks (refund year,
priority from the program's ``priority_when``, the year-end headcount from the contributions
feed) and seals every account number (``cases.sealing``: none reaches the database in clear);
then, in one transaction on the operational database:

1. the rows are staged in temporary tables, in chunks and without per-row ORM objects (a
   million rows must load in under two minutes; see ``loading_sql.stage``);
2. new units are inserted and changed units updated from the units feed;
3. every new eligible (unit, program, refund year) opens a case in ``screened`` with an
   ``opened`` event, the headcount and the unit's receiving account;
4. a never-approved, unconfirmed case whose decision, headcount or unit account changed is
   updated, with a ``rescreened`` event holding the decision before and after; the workflow
   then withdraws those no longer eligible and reopens re-screen-withdrawn ones that are
   eligible again;
5. an approved case (approved, published, payable …), or one whose enterprise has confirmed its
   facts and signed, is never touched: where the new decision differs, a ``RescreenFlag`` asks
   a person to look;
6. waiting late claims are decided, and restructured units with a case get a service-officer
   task.

The run is keyed by the SHA-256 of its run record (which holds the result's SHA-256 and the time
of the run): loading the same run again changes nothing (it is recognised before any work);
``force=True`` re-runs every step, which then finds nothing to change. A result older than one
already loaded for the same programs and region is refused (``StaleRun``): it would undo the
newer decisions. The SQL itself lives in ``loading_sql``.
"""

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from django.db import connection, transaction

from wengang.accounts.models import User
from wengang.core.clock import clock
from wengang.feeds import FeedError, open_snapshot
from wengang.policy import PolicyError, PolicySet, load_policy
from wengang.screening import FeedSource, folder_source, snapshot_source
from wengang.screening.errors import ScreeningError
from wengang.screening.inputs import register_views, sha256_file

from . import loading_sql as sql
from . import workflow
from .errors import InputsChanged, ResultError, RunRecordError, StaleRun
from .models import Case, Channel, ScreeningRun, ServiceOfficerTask, State, Unit
from .sealing import seal_account

Progress = Callable[[str], None]

RESULT_COLUMNS = ("uscc", "program", "eligible", "amount", "size", "route", "layoff_rate",
                  "failed", "explanation")
OPTIONAL_RESULT_COLUMNS = ("risk", "priority")
ROUTES = ("automatic", "application", "none")
SIZES = ("large", "medium", "small", "micro", "sme", "unknown")


@dataclass
class LoadSummary:
    """What a load did, in counts (also stored on the run as ``ScreeningRun.summary``)."""

    run_id: int
    already_loaded: bool = False
    rows: int = 0
    eligible_rows: int = 0
    units_created: int = 0
    units_updated: int = 0
    opened: int = 0
    updated: int = 0
    withdrawn: int = 0
    reopened: int = 0
    flagged: int = 0
    route_corrected: int = 0
    late_claims_decided: int = 0
    service_tasks: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def changed_anything(self) -> bool:
        return any((self.units_created, self.units_updated, self.opened, self.updated,
                    self.withdrawn, self.reopened, self.flagged, self.late_claims_decided,
                    self.service_tasks))


# --- the run record ------------------------------------------------------------------------

def record_path_for(result_path: Path) -> Path:
    return result_path.with_name(result_path.stem + ".run.json")


def read_record(result_path: Path) -> dict:
    """Read and check the run record beside ``result_path``."""
    path = record_path_for(result_path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunRecordError(f"{path}：找不到运行记录（wengang screen 会把它写在结果旁边）",
                             f"{path}: run record not found (wengang screen writes it beside "
                             "the result)") from None
    except (OSError, ValueError) as error:
        raise RunRecordError(f"{path}：无法读取运行记录（{error}）",
                             f"{path}: cannot read the run record ({error})") from None
    try:
        date.fromisoformat(record["as_of"])
        datetime.fromisoformat(record["created_at"])
        assert isinstance(record["programs"], dict) and record["programs"]
        assert {"kind", "path", "sha256"} <= set(record["inputs"])
        assert {"sha256", "rows"} <= set(record["output"])
        assert len(record["region_code"]) == 6
    except (KeyError, TypeError, ValueError, AssertionError):
        raise RunRecordError(f"{path}：运行记录缺少必需项（as_of、created_at、programs、inputs、output）",
                             f"{path}: the run record lacks as_of, created_at, programs, inputs "
                             "or output") from None
    return record


LOADED_FEEDS = ("units", "registry", "contributions")
"""What loading reads besides the result: the units and their registry rows, and the
contributions for each case's year-end headcount (``Case.insured``)."""


def run_inputs(record: dict, path: Path | None = None) -> FeedSource:
    """Every feed the run screened (from its record), or the same feeds at ``path``."""
    inputs = record["inputs"]
    path = Path(path or inputs["path"])
    if not path.is_dir():
        raise InputsChanged(f"{path}：找不到筛查所用的数据（可用 --units-from 指定快照或数据目录）",
                            f"{path}: the feeds this run screened are not there (give "
                            "--units-from with a snapshot or feed folder)")
    try:
        if (path / "manifest.json").exists():
            source = snapshot_source(open_snapshot(path.parent, inputs.get("snapshot_id") or path.name))
        else:
            source = folder_source(path)
    except (ScreeningError, FeedError) as error:
        raise InputsChanged(error.zh, error.en) from None
    return source


def _units_source(record: dict, units_from: Path | None) -> FeedSource:
    """The feeds loading reads (``LOADED_FEEDS``), from the run's record or ``units_from``."""
    source = run_inputs(record, units_from)
    source.files = {feed: p for feed, p in source.files.items() if feed in LOADED_FEEDS}
    return source


def check_inputs(source: FeedSource, record: dict) -> None:
    """Refuse feeds that are not, byte for byte, the ones the run record names."""
    expected = record["inputs"]["sha256"]
    for feed, path in source.files.items():
        if feed in expected and sha256_file(path) != expected[feed]:
            raise InputsChanged(
                f"{path}：与筛查时的数据不一致（SHA-256 不同）；请使用筛查所用的快照，或重新筛查",
                f"{path}: not the data the run screened (SHA-256 differs); use the run's "
                "snapshot or screen again")


# --- DuckDB: read, check and enrich the result ---------------------------------------------

def _result_reader_sql(path: Path) -> str:
    literal = str(path.resolve()).replace("'", "''")
    if path.suffix == ".csv":
        return f"read_csv('{literal}', header = true, all_varchar = true, auto_detect = true)"
    if path.suffix == ".parquet":
        return f"read_parquet('{literal}')"
    raise ResultError(f"{path}：结果文件须为 .csv 或 .parquet",
                      f"{path}: the result must be a .csv or .parquet file")


def _describe(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {sql}").fetchall()]


def unit_row_sql(size: str) -> str:
    """The staged unit row (``loading_sql.UNIT_COLUMNS`` after ``seq``) from the units feed as
    ``f`` (with the registry's restructuring) and its sealed account as ``a``; ``size`` is the
    SQL of the size column."""
    return f"""f.uscc,
               coalesce(f.name, '') AS name, coalesce(f.unit_type, '') AS unit_type,
               f.region_code, coalesce(f.industry_code, '') AS industry_code, {size} AS size,
               coalesce(f.is_labour_dispatch, false) AS is_labour_dispatch,
               CAST(f.registered_on AS VARCHAR) AS registered_on,
               coalesce(f.legal_rep_name, '') AS legal_rep_name,
               coalesce(f.contact_phone, '') AS contact_phone,
               coalesce(f.clerk_name, '') AS clerk_name, coalesce(f.clerk_phone, '') AS clerk_phone,
               coalesce(f.bank_name, '') AS bank_name,
               CASE WHEN f.bank_account IS NOT NULL THEN 'bank'
                    WHEN f.si_account IS NOT NULL THEN 'si' ELSE '' END AS account_kind,
               coalesce(a.sealed, '') AS account_sealed, coalesce(a.digest, '') AS account_digest,
               coalesce(a.masked, '') AS account_masked,
               CAST(f.restructured_on AS VARCHAR) AS restructured_on,
               coalesce(f.restructure_kind, '') AS restructure_kind"""


def _prepare(con: duckdb.DuckDBPyConnection, result_path: Path, record: dict,
             source: FeedSource, policy: PolicySet) -> dict[str, int]:
    """Create ``rows`` and ``units`` in DuckDB, ready to stage; raise on anything malformed."""
    reader = _result_reader_sql(result_path)
    try:
        columns = _describe(con, reader)
    except duckdb.Error as error:
        raise ResultError(f"{result_path}：无法读取（{error}）",
                          f"{result_path}: cannot be read ({error})") from None
    missing = [c for c in RESULT_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in RESULT_COLUMNS + OPTIONAL_RESULT_COLUMNS]
    if missing or unknown:
        raise ResultError(f"{result_path}：缺少列 {', '.join(missing) or '无'}；未知列 {', '.join(unknown) or '无'}",
                          f"{result_path}: missing columns {', '.join(missing) or 'none'}; "
                          f"unknown columns {', '.join(unknown) or 'none'}")
    text = {c: f"CAST(\"{c}\" AS VARCHAR)" for c in columns}
    con.execute(f"""
        CREATE TEMP TABLE result AS SELECT
            {text['uscc']} AS uscc, {text['program']} AS program,
            lower({text['eligible']}) AS eligible_text, {text['amount']} AS amount,
            {text['size']} AS size, {text['route']} AS route,
            {text['layoff_rate']} AS layoff_rate, coalesce({text['failed']}, '') AS failed,
            coalesce({text['explanation']}, '') AS explanation,
            {"coalesce(" + text['risk'] + ", '')" if 'risk' in columns else "''"} AS risk,
            {"lower(" + text['priority'] + ")" if 'priority' in columns else "NULL"} AS priority_text
        FROM {reader}""")
    programs = list(record["programs"])
    rows = con.execute("SELECT count(*) FROM result").fetchall()[0][0]
    if rows != record["output"]["rows"]:
        raise ResultError(f"{result_path}：行数 {rows} 与运行记录的 {record['output']['rows']} 不一致",
                          f"{result_path}: {rows} rows, the run record says {record['output']['rows']}")
    _check_rows(con, result_path, programs)

    feeds = set(source.files)
    register_views(con, source)
    _register_sealing(con)
    registry = ("LEFT JOIN registry g USING (uscc)" if "registry" in feeds else
                "LEFT JOIN (SELECT NULL::VARCHAR AS uscc, NULL::DATE AS restructured_on, "
                "NULL::VARCHAR AS restructure_kind) g USING (uscc)")
    con.execute(f"""
        CREATE TEMP TABLE unit_facts AS
        SELECT u.*, left(u.industry_code, 2) AS industry_division,
               (u.bank_account IS NOT NULL OR u.si_account IS NOT NULL) AS has_account,
               g.restructured_on, g.restructure_kind
        FROM units u {registry}
        WHERE u.uscc IN (SELECT uscc FROM result)""")
    found, distinct = con.execute(
        "SELECT count(*), count(DISTINCT uscc) FROM unit_facts").fetchall()[0]
    wanted = con.execute("SELECT count(DISTINCT uscc) FROM result").fetchall()[0][0]
    if found != distinct or distinct != wanted:
        absent = [r[0] for r in con.execute(
            "SELECT DISTINCT uscc FROM result WHERE uscc NOT IN (SELECT uscc FROM unit_facts) "
            "ORDER BY 1 LIMIT 5").fetchall()]
        raise InputsChanged(
            f"单位数据与结果不对应：结果中的单位 {wanted} 家，单位数据中找到 {distinct} 家（{found} 行）；"
            f"缺少如 {', '.join(absent) or '—'}",
            f"the units feed does not match the result: {wanted} units in the result, {distinct} "
            f"found ({found} rows); missing e.g. {', '.join(absent) or '—'}")

    selects, params = [], []
    for program_id in programs:
        try:
            program = policy.program(program_id)
        except PolicyError as error:
            raise RunRecordError(error.zh, error.en) from None
        priority = _priority_sql(program_id, record, policy, has_column="priority" in columns)
        # Year-end headcount as screening reads it (December of the assessment year).
        selects.append(f"""
            SELECT r.uscc, r.program, CAST(? AS VARCHAR) AS program_kind,
                   CAST(? AS INTEGER) AS refund_year, r.eligible_text = 'true' AS eligible,
                   CAST(replace(r.amount, '.', '') AS BIGINT) AS amount_fen, r.size,
                   r.route AS screened_route,
                   CASE WHEN r.route = 'automatic' AND (? = 'difficult'
                             OR r.size IN ('large', 'unknown')
                             OR coalesce(f.is_labour_dispatch, false) OR NOT f.has_account)
                        THEN 'application' ELSE r.route END AS route,
                   coalesce(({priority}), false) AS priority,
                   CAST(CAST(r.layoff_rate AS DECIMAL(7, 4)) AS VARCHAR) AS layoff_rate,
                   h.insured, r.failed, r.risk, r.explanation
            FROM result r JOIN unit_facts f USING (uscc)
                 LEFT JOIN (SELECT uscc, any_value(insured) AS insured FROM contributions
                            WHERE month = ? GROUP BY uscc) h USING (uscc)
            WHERE r.program = ?""")
        params += [program.kind, program.refund_year, program.kind,
                   f"{program.assessment_year}-12", program_id]
    try:
        con.execute("CREATE TEMP TABLE rows AS SELECT row_number() OVER (ORDER BY uscc, program) "
                    "- 1 AS seq, * FROM (" + " UNION ALL ".join(selects) + ") ORDER BY seq",
                    params)
    except duckdb.BinderException as error:
        raise ResultError(
            f"无法按政策文件计算绿色通道（{error}）；请让筛查结果带上 priority 列",
            f"cannot compute priority from the policy file ({error}); have the screening "
            "result carry a priority column") from None
    con.execute(f"""
        CREATE TEMP TABLE units AS
        SELECT row_number() OVER (ORDER BY f.uscc) - 1 AS seq, {unit_row_sql("s.size")}
        FROM (SELECT *, wg_seal_account(coalesce(bank_account, si_account), uscc) AS a
              FROM unit_facts) f
             JOIN (SELECT uscc, min(size) AS size FROM result GROUP BY uscc) s USING (uscc)
        ORDER BY seq""")
    eligible, corrected = con.execute(
        "SELECT count(*) FILTER (WHERE eligible), "
        "count(*) FILTER (WHERE route <> screened_route) FROM rows").fetchall()[0]
    return {"rows": rows, "eligible_rows": eligible, "route_corrected": corrected}


_SEALED = pa.struct([("sealed", pa.string()), ("digest", pa.string()), ("masked", pa.string())])


def _register_sealing(con: duckdb.DuckDBPyConnection) -> None:
    """``wg_seal_account(number, uscc)``: account numbers are sealed before they leave DuckDB,
    so no clear number reaches the operational database (``cases.sealing``)."""
    def seal(numbers: pa.Array, owners: pa.Array) -> pa.Array:
        sealed = []
        for number, owner in zip(numbers.to_pylist(), owners.to_pylist(), strict=True):
            account = seal_account(number, owner=owner) if number else None
            sealed.append(None if account is None else
                          {"sealed": account.sealed, "digest": account.digest,
                           "masked": account.masked})
        return pa.array(sealed, type=_SEALED)

    con.create_function("wg_seal_account", seal,
                        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
                        duckdb.sqltype("STRUCT(sealed VARCHAR, digest VARCHAR, masked VARCHAR)"),
                        type="arrow", null_handling="special")


def refuse_rows(con: duckdb.DuckDBPyConnection, result_path: Path,
                checks: list[tuple[str, str, str]], *, programs: list[str], named_by: str) -> None:
    """Raise ``ResultError`` for the first check (SQL condition, Chinese, English) some row of
    ``result`` meets, naming up to three such rows by the columns ``named_by``."""
    for condition, zh, en in checks:
        bad = con.execute(f"SELECT {named_by} FROM result WHERE {condition} LIMIT 3",
                          {"programs": programs} if "$programs" in condition else {}).fetchall()
        if bad:
            where = "; ".join(" ".join(str(value) for value in row) for row in bad)
            raise ResultError(f"{result_path}：{zh}（如 {where}）", f"{result_path}: {en} (e.g. {where})")


def _check_rows(con: duckdb.DuckDBPyConnection, result_path: Path, programs: list[str]) -> None:
    """Refuse a result that breaks the contract, naming the first offending rows."""
    checks = [
        ("uscc IS NULL OR length(uscc) <> 18", "统一社会信用代码缺失或不是18位", "uscc missing or not 18 characters"),
        ("NOT list_contains($programs, program)", "项目不在运行记录中", "program not in the run record"),
        ("eligible_text NOT IN ('true', 'false') OR eligible_text IS NULL", "eligible 应为 true/false", "eligible must be true/false"),
        ("NOT regexp_full_match(coalesce(amount, ''), '[0-9]+\\.[0-9]{2}')", "金额应为两位小数的元", "amount must be yuan with 2 decimals"),
        (f"size NOT IN ({', '.join(repr(s) for s in SIZES)}) OR size IS NULL", "企业规模不在约定取值中", "unknown size"),
        (f"route NOT IN ({', '.join(repr(r) for r in ROUTES)}) OR route IS NULL", "办理方式不在约定取值中", "unknown route"),
        ("(eligible_text = 'true') <> (route <> 'none')", "符合条件与办理方式矛盾", "eligible and route disagree"),
        ("eligible_text = 'false' AND amount <> '0.00'", "不符合条件但金额不为零", "ineligible with a non-zero amount"),
        ("layoff_rate IS NOT NULL AND TRY_CAST(layoff_rate AS DECIMAL(7, 4)) IS NULL", "裁员率不是数字", "layoff rate is not a number"),
        ("priority_text IS NOT NULL AND priority_text NOT IN ('true', 'false')", "priority 应为 true/false", "priority must be true/false"),
    ]
    refuse_rows(con, result_path, checks, programs=programs, named_by="uscc, program")
    dup = con.execute("SELECT uscc, program FROM result GROUP BY ALL HAVING count(*) > 1 "
                      "LIMIT 3").fetchall()
    if dup:
        where = "; ".join(f"{u} {p}" for u, p in dup)
        raise ResultError(f"{result_path}：单位与项目重复（如 {where}）",
                          f"{result_path}: a unit and program repeat (e.g. {where})")


def _priority_sql(program_id: str, record: dict, policy: PolicySet, *, has_column: bool) -> str:
    """The priority expression: the result's own column, else the program's ``priority_when``.

    The expression is re-resolved for the run's date, region and settings, from the same policy
    file (checked by its SHA-256): a different file could give a different answer.
    """
    if has_column:
        return "r.priority_text = 'true'"
    program = policy.program(program_id)
    recorded = record["programs"][program_id].get("policy_sha256")
    if recorded and recorded != program.source_sha256:
        raise RunRecordError(
            f"{program_id} 的政策文件在筛查后已修改（SHA-256 不同），无法复现绿色通道判断；请重新筛查",
            f"the policy file of {program_id} changed since the run (SHA-256 differs); screen "
            "again to decide priority")
    resolved = policy.resolve(program_id, on=date.fromisoformat(record["as_of"]),
                              region_code=record["region_code"],
                              settings=record.get("settings") or {})
    return resolved.priority_sql or "false"


# --- the service ---------------------------------------------------------------------------

def what_changed(previous: ScreeningRun, run: ScreeningRun) -> str:
    """Why a re-screen may decide differently: the inputs that differ between two runs."""
    reasons = []
    feeds = sorted(name for name in set(previous.input_sha256) | set(run.input_sha256)
                   if previous.input_sha256.get(name) != run.input_sha256.get(name))
    if feeds:
        reasons.append(f"部门数据更新（{'、'.join(feeds)}）")
    policies = sorted(
        program for program in set(previous.programs) & set(run.programs)
        if (previous.record.get("programs", {}).get(program, {}).get("policy_sha256")
            != run.record.get("programs", {}).get(program, {}).get("policy_sha256")))
    if policies:
        reasons.append(f"政策文件修订（{'、'.join(policies)}）")
    if previous.settings != run.settings:
        reasons.append("参数设置变化")
    if previous.as_of != run.as_of:
        reasons.append(f"筛查日 {previous.as_of} → {run.as_of}")
    basis = "；".join(reasons) or "输入未变（程序版本或数据以外的原因）"
    return f"依据：筛查批次 #{previous.pk} → #{run.pk}，{basis}"


def _adapt_now(now: datetime):
    return connection.ops.adapt_datetimefield_value(now)


def _stale_runs(record: dict, screened_at: datetime, record_sha: str) -> list[ScreeningRun]:
    newer = (ScreeningRun.objects.filter(loaded_at__isnull=False, region_code=record["region_code"],
                                         screened_at__gt=screened_at, uscc="")
             .exclude(record_sha256=record_sha))
    return [run for run in newer if set(run.programs) & set(record["programs"])]


class Stopwatch:
    """Seconds per named step of a load (``lap``), for its summary and the benchmarks."""

    def __init__(self) -> None:
        self.started = self.mark = time.perf_counter()
        self.timings: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self.mark, 3)
        self.mark = now

    @property
    def seconds(self) -> float:
        return round(time.perf_counter() - self.started, 3)


@dataclass
class CheckedResult:
    """A result file checked against its run record (``check_result``)."""

    path: Path
    record: dict
    result_sha: str
    record_sha: str
    existing: ScreeningRun | None
    """The run of this record, when it was seen before (``loaded_at`` says whether loaded)."""


def check_result(result_path: Path | str, *, persons: bool, step: Progress) -> CheckedResult:
    """The result file, its run record, and that they belong together: the file exists, is a
    unit (``persons=False``) or a person screening as the loader expects, and has the SHA-256
    its record names."""
    result_path = Path(result_path)
    if not result_path.is_file():
        raise ResultError(f"{result_path}：找不到结果文件", f"{result_path}: no such result file")
    record = read_record(result_path)
    if persons and record.get("screening") != "persons":
        raise RunRecordError(f"{result_path}：不是人员筛查（wengang screen-persons）的结果；单位筛查结果请用 wengang cases load",
                             f"{result_path}: not a person screening result (wengang "
                             "screen-persons); load a unit result with wengang cases load")
    if not persons and record.get("screening") == "persons":
        raise RunRecordError(f"{result_path}：这是人员筛查（培训补贴）的结果，请用 wengang cases load-persons",
                             f"{result_path}: a person screening (training subsidies) result: "
                             "load it with wengang cases load-persons")
    step("核对结果文件 / checking the result")
    result_sha = sha256_file(result_path)
    if result_sha != record["output"]["sha256"]:
        raise ResultError(f"{result_path}：文件与运行记录不一致（SHA-256 不同），可能已被修改",
                          f"{result_path}: does not match its run record (SHA-256 differs); "
                          "it may have been edited")
    record_sha = sha256_file(record_path_for(result_path))
    return CheckedResult(result_path, record, result_sha, record_sha,
                         ScreeningRun.objects.filter(record_sha256=record_sha).first())


def load_screening(result_path: Path | str, *, actor: User | None = None,
                   units_from: Path | str | None = None, verify_inputs: bool = True,
                   force: bool = False, policy: PolicySet | None = None,
                   channel: str = Channel.SYSTEM, request_id: str = "",
                   progress: Progress | None = None) -> LoadSummary:
    """Load one screening result into units and cases (see the module docstring).

    ``units_from`` points at the snapshot or feed folder when the run's own path moved;
    ``verify_inputs=False`` skips the SHA-256 check of the units feed (never in production: the
    units then may not be the ones screened). ``force`` reloads a result already loaded and
    loads a result older than a loaded one.
    """
    step = progress or (lambda _label: None)
    watch = Stopwatch()
    checked = check_result(result_path, persons=False, step=step)
    result_path, record, existing = checked.path, checked.record, checked.existing
    result_sha, record_sha = checked.result_sha, checked.record_sha
    if existing is not None and existing.loaded_at is not None and not force:
        return LoadSummary(run_id=existing.pk, already_loaded=True,
                           rows=existing.rows, seconds=watch.seconds)
    screened_at = datetime.fromisoformat(record["created_at"])
    if not force and (newer := _stale_runs(record, screened_at, record_sha)):
        raise StaleRun(f"已导入更新的筛查结果（{newer[0]}），本结果较旧，导入会覆盖新的结论",
                       f"a newer screening of the same programs is loaded ({newer[0]}); "
                       "loading this older one would undo its decisions")
    source = _units_source(record, Path(units_from) if units_from else None)
    if verify_inputs:
        check_inputs(source, record)
    watch.lap("check")

    step("读取并核对筛查结果 / reading the result")
    con = duckdb.connect()
    try:
        counts = _prepare(con, result_path, record, source, policy or load_policy())
        watch.lap("prepare")
        summary = _load_prepared(con, result_path, record, result_sha, record_sha, screened_at,
                                 existing, actor=actor, channel=channel, request_id=request_id,
                                 step=step, lap=watch.lap)
    finally:
        con.close()
    summary.rows, summary.eligible_rows = counts["rows"], counts["eligible_rows"]
    summary.route_corrected = counts["route_corrected"]
    summary.seconds = watch.seconds
    summary.timings = watch.timings
    ScreeningRun.objects.filter(pk=summary.run_id).update(summary=summary.as_dict())
    return summary


def save_run(existing: ScreeningRun | None, result_path: Path, record: dict, result_sha: str,
             record_sha: str, screened_at: datetime) -> ScreeningRun:
    """Write the run of ``record`` (a unit or a person screening), not yet marked loaded."""
    run = existing or ScreeningRun(record_sha256=record_sha)
    run.result_sha256 = result_sha
    run.result_path = str(result_path.resolve())
    run.as_of = date.fromisoformat(record["as_of"])
    run.region_code = record["region_code"]
    run.programs = list(record["programs"])
    run.settings = record.get("settings") or {}
    run.input_kind = record["inputs"]["kind"]
    run.input_path = record["inputs"]["path"]
    run.snapshot_id = record["inputs"].get("snapshot_id") or ""
    run.input_sha256 = record["inputs"]["sha256"]
    run.code_version = record.get("code_version", "")
    run.screened_at = screened_at
    run.rows = record["output"]["rows"]
    run.record = record
    run.save()
    return run


def _load_prepared(con, result_path: Path, record: dict, result_sha: str, record_sha: str,
                   screened_at: datetime, existing: ScreeningRun | None, *,
                   actor: User | None, channel: str, request_id: str, step: Progress,
                   lap: Callable[[str], None]) -> LoadSummary:
    now = clock.now()
    db_now = _adapt_now(now)
    actor_id = actor.pk if actor else None
    label = "" if actor else "筛查导入"
    with transaction.atomic():
        run = save_run(existing, result_path, record, result_sha, record_sha, screened_at)
        summary = LoadSummary(run_id=run.pk)
        with connection.cursor() as cursor:
            sql.create_stage_tables(cursor)
            step("暂存单位与结果 / staging units and rows")
            sql.stage(con, "units", sql.STAGE_UNITS, sql.UNIT_COLUMNS)
            sql.stage(con, "rows", sql.STAGE_ROWS, sql.ROW_COLUMNS)
            if sql.vendor() == "postgresql":
                cursor.execute(f"ANALYZE {sql.STAGE_UNITS}")
                cursor.execute(f"ANALYZE {sql.STAGE_ROWS}")
            else:
                cursor.execute(f"CREATE INDEX {sql.STAGE_ROWS}_key ON {sql.STAGE_ROWS} (uscc, program, refund_year)")
            lap("stage")

            step("更新单位 / units")
            cursor.execute(sql.insert_units_sql(), [run.pk, db_now])
            summary.units_created = cursor.rowcount
            cursor.execute(sql.update_units_sql(), [run.pk, db_now])
            summary.units_updated = cursor.rowcount
            lap("units")

            step("立案 / opening cases")
            earlier_cases = (Case.objects.filter(program__in=run.programs)
                             .exclude(opened_by_run=run).exists())
            cursor.execute(sql.open_cases_sql(), [run.pk, run.pk, db_now, db_now, db_now])
            summary.opened = cursor.rowcount
            cursor.execute(sql.opened_events_sql(), [db_now, actor_id, label, "比对筛查符合条件，立案",
                                                 request_id, run.pk, run.pk])
            if sql.vendor() == "postgresql" and (summary.units_created or summary.opened):
                # Statistics still describe the tables before this transaction's inserts: without
                # them the planner nests loops over a million rows.
                cursor.execute(f"ANALYZE {Unit._meta.db_table}, {Case._meta.db_table}")
            lap("open")

            if earlier_cases:  # cases of earlier runs: a re-screen may change or flag them
                step("重新筛查的变化 / re-screen changes")
                cursor.execute(sql.changed_cases_sql())
                summary.updated = cursor.rowcount
                if summary.updated:
                    cursor.execute(sql.previous_runs_sql())
                    previous = ScreeningRun.objects.in_bulk([row[0] for row in cursor.fetchall()])
                    for previous_run in previous.values():
                        cursor.execute(sql.insert_why_sql(),
                                       [previous_run.pk, what_changed(previous_run, run)])
                    cursor.execute(sql.rescreen_events_sql(),
                                   [db_now, actor_id, label, request_id, run.pk])
                    cursor.execute(sql.update_cases_sql(), [run.pk, db_now])
                cursor.execute(sql.flag_approved_sql(), [run.pk, db_now, run.pk])
                summary.flagged = cursor.rowcount
            lap("rescreen")
            cursor.execute(sql.decide_late_claims_sql(), [run.pk])
            summary.late_claims_decided = cursor.rowcount
            sql.drop_stage_tables(cursor)
        if summary.updated:
            summary.withdrawn = workflow.withdraw_ineligible(run_id=run.pk, channel=channel,
                                                             request_id=request_id)
            summary.reopened = workflow.reopen_eligible(run_id=run.pk, channel=channel,
                                                        request_id=request_id)
        summary.service_tasks = _open_service_tasks(run, now)
        lap("workflow")
        run.loaded_at = now
        run.loaded_by = actor
        run.save(update_fields=["loaded_at", "loaded_by"])
    lap("commit")  # PostgreSQL checks the deferred foreign keys of every new row here
    return summary


def _open_service_tasks(run: ScreeningRun, now: datetime) -> int:
    """A task for each restructured unit of this run with an open case, once per restructuring."""
    units = (Unit.objects.filter(last_run=run, restructured_on__isnull=False)
             | Unit.objects.filter(restructured_on__isnull=False, cases__screening_run=run))
    units = units.filter(cases__isnull=False).exclude(
        cases__state__in=[State.REJECTED, State.DECLINED, State.WITHDRAWN]).distinct()
    existing = set(ServiceOfficerTask.objects.filter(unit__in=units)
                   .values_list("unit_id", "restructured_on"))
    tasks = []
    for unit in units.prefetch_related("cases"):
        if (unit.pk, unit.restructured_on) in existing:
            continue
        tasks.append(ServiceOfficerTask(
            unit=unit, restructure_kind=unit.restructure_kind,
            restructured_on=unit.restructured_on, created_at=now, run=run,
            facts={
                "name": unit.name, "uscc": unit.uscc, "region_code": unit.region_code,
                "restructure_kind": unit.restructure_kind,
                "restructured_on": unit.restructured_on.isoformat(),
                "contact_phone": unit.masked_phone, "legal_rep_name": unit.legal_rep_name,
                "account": unit.account_masked,
                "cases": [{"id": c.pk, "program": c.program, "state": c.state,
                           "amount_fen": c.amount_fen} for c in unit.cases.all()],
            }))
    ServiceOfficerTask.objects.bulk_create(tasks, batch_size=1000)
    return len(tasks)
