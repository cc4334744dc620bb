"""Person screening: every training record under every skills-training program, explained.

    run = screen_persons(folder_source(Path("feeds")), programs=["training-certificate-2024"],
                         as_of=date(2024, 6, 30), region_code="360100")
    run.write(Path("persons.csv"))     # the person result contract, plus persons.run.json

The same engine as the unit screening, over another subject (``policy/subjects.py``): features
per record in DuckDB (``persons_features.py``), each rule of the policy file one boolean column,
the amount in fen rounded half-up once, an explanation in Chinese naming the deciding facts and
the formula. A program's ``limit`` (three certificates a year, six roster months) is settled
after its rules, over the rows that pass them, in date order, counting earlier payments. Set
based: no Python runs per row. The same inputs give byte-identical output (rows sorted by a
unique key; Parquet written in fixed row groups).
"""

import json
import os
import platform
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Self

import duckdb

import wengang
from wengang.core.clock import clock
from wengang.feeds import FEEDS
from wengang.feeds.engine import Engine
from wengang.feeds.snapshots import write_parquet
from wengang.policy import PolicySet, ResolvedProgram, load_policy
from wengang.policy.subjects import SUBJECTS
from wengang.policy.templates import quote, template_sql

from .errors import InputError, OutputError
from .evaluate import placeholder_sql
from .inputs import FeedSource, register_views, sha256_file
from .persons_features import SUBJECT_FEEDS, SUBJECT_SQL, prior_payments_sql
from .run import Progress, Steps, region_prefix

PERSON_RESULT_TABLE = "wg_person_results"
MEMORY_LIMIT = os.environ.get("WENGANG_SCREEN_MEMORY_LIMIT", "4GB")
"""DuckDB's memory limit for a person screening (it spills to disk beyond it)."""

OUTPUT_COLUMNS = ("program", "subject", "record", "resident_id", "uscc", "region_code",
                  "beneficiary", "eligible", "amount", "failed", "explanation")


@dataclass
class PersonScreening:
    """The result of one person screening, held in DuckDB until written; close it after use."""

    engine: Engine
    source: FeedSource
    programs: list[ResolvedProgram]
    as_of: date
    region_code: str
    settings: dict[str, str]
    input_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self.engine.connection

    def summary(self) -> list[tuple]:
        """(program, records, eligible, amount_fen, persons paid, units paid) per program."""
        return self.engine.rows(f"""
            SELECT {_named(self.programs, "id")}, count(*), count(*) FILTER (WHERE eligible),
                   coalesce(sum(amount_fen), 0)::BIGINT,
                   count(DISTINCT person_key) FILTER (WHERE eligible),
                   count(DISTINCT uscc) FILTER (WHERE eligible)
            FROM {PERSON_RESULT_TABLE} GROUP BY program_rank ORDER BY program_rank""")

    def failures(self) -> list[tuple]:
        """(program, rule, records failing it) — duplicates caught show as their rule."""
        return self.engine.rows(f"""
            SELECT {_named(self.programs, "id")}, rule, count(*) FROM (
                SELECT program_rank, unnest(failed) AS rule FROM {PERSON_RESULT_TABLE})
            GROUP BY program_rank, rule ORDER BY program_rank, rule""")

    def write(self, out: Path) -> Path:
        """Write the result (CSV or Parquet by suffix) and the run record beside it."""
        if out.suffix not in (".csv", ".parquet"):
            raise OutputError(f"{out}：结果文件须为 .csv 或 .parquet",
                              f"{out}: the result must be a .csv or .parquet file")
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = out.with_name(out.name + ".tmp")
        sql = person_output_sql(PERSON_RESULT_TABLE, self.programs)
        if out.suffix == ".csv":
            self.engine.run(f"COPY ({sql}) TO {_quoted(temporary)} (FORMAT csv, HEADER true)")
        else:
            write_parquet(self.engine, sql, temporary)
        os.replace(temporary, out)
        record_path = out.with_name(out.stem + ".run.json")
        record_path.write_text(json.dumps(self.record(out), ensure_ascii=False, indent=2) + "\n",
                               encoding="utf-8")
        return record_path

    def record(self, out: Path) -> dict:
        """What decided this output: inputs, policy files, parameters and code version."""
        return {
            "created_at": clock.now().isoformat(timespec="seconds"),
            "code_version": wengang.__version__,
            "engine": {"duckdb": duckdb.__version__, "python": platform.python_version()},
            "screening": "persons",
            "as_of": self.as_of.isoformat(),
            "region_code": self.region_code,
            "settings": self.settings,
            "inputs": {"kind": self.source.kind, "path": str(self.source.path),
                       "snapshot_id": self.source.snapshot_id, "sha256": self.input_hashes},
            "programs": {
                r.id: {"policy_file": Path(r.program.source).name,
                       "policy_sha256": r.program.source_sha256,
                       "subject": r.program.subject, "beneficiary": r.program.beneficiary,
                       "parameters": {k: _jsonable(v) for k, v in sorted(r.parameters.items())}}
                for r in self.programs},
            "output": {"path": out.name,
                       "rows": self.engine.scalar(f"SELECT count(*) FROM {PERSON_RESULT_TABLE}"),
                       "sha256": sha256_file(out)},
        }

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def screen_persons(source: FeedSource, *, programs: list[str], as_of: date, region_code: str,
                   settings: Mapping[str, str] | None = None, policy: PolicySet | None = None,
                   progress: Progress | None = None) -> PersonScreening:
    """Decide every training record of ``region_code`` under each program as of ``as_of``."""
    settings = dict(settings or {})
    policy = policy or load_policy()
    policy.check_settings(programs, settings)
    # Evaluated, and written, in program id order: the result table is in output order.
    resolved = [policy.resolve(p, on=as_of, region_code=region_code, settings=settings)
                for p in sorted(set(programs))]
    _check_subjects(resolved, source)
    subjects = {r.program.subject for r in resolved}
    step = Steps(progress, total=1 + len(subjects) + len(resolved) + 1)
    engine = Engine(memory_limit=MEMORY_LIMIT)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            source.start_hashing(pool)
            step("读取部门数据 / reading feeds")
            _open_feeds(engine, source)
            params = {"as_of": as_of, "region_prefix": region_prefix(region_code)}
            engine.run(f"CREATE OR REPLACE TEMP TABLE {PERSON_RESULT_TABLE} AS "
                       f"SELECT * FROM ({_EMPTY_RESULT}) WHERE false")
            built: dict[str, str] = {}
            # A subject's features exist only from its first program to its last: ten million
            # completions and a million certificates never sit in memory together. A subject
            # read by one program only is not stored at all: its sorted query feeds that
            # program's rows directly (one copy of ten million rows fewer).
            for rank, r in enumerate(resolved):
                subject = r.program.subject
                readers = [other for other in resolved if other.program.subject == subject]
                if subject not in built:
                    step(f"计算特征 / features of {subject}")
                    columns = features_named(subject, [person_program_sql(other, features="f", rank=0)
                                                       for other in readers])
                    if len(readers) == 1:
                        # A limit ranks the rows and sorts its result itself: no sort before.
                        query = SUBJECT_SQL[subject](columns, ordered=r.program.limit is None)
                        built[subject] = f"({query})"
                    else:
                        query = SUBJECT_SQL[subject](columns)
                        built[subject] = f"wg_pf_{subject}"
                        _execute(engine, f"CREATE OR REPLACE TEMP TABLE {built[subject]} AS {query}",
                                 params, source)
                step(f"逐项目判定 / evaluating {r.id}")
                _execute(engine, f"INSERT INTO {PERSON_RESULT_TABLE} "
                         + person_program_sql(r, features=built[subject], rank=rank), params, source)
                if r is readers[-1] and len(readers) > 1:
                    engine.run(f"DROP TABLE {built[subject]}")
            step("核对输入指纹 / hashing inputs")
            hashes = source.hashes()
    except BaseException:
        engine.close()
        raise
    return PersonScreening(engine=engine, source=source, programs=resolved, as_of=as_of,
                           region_code=region_code, settings=settings, input_hashes=hashes)


def features_named(subject: str, program_sqls: list[str]) -> list[str]:
    """The features of ``subject`` (and ``limit_date``) that the programs' SQL names: all its
    features query must keep. A name that only looks like a reference (in a template's text)
    keeps a column in vain; a feature that is read is always named."""
    names = [*SUBJECTS[subject].features, "limit_date"]
    return [name for name in names
            if any(re.search(rf"\b{name}\b", sql) for sql in program_sqls)]


def _check_subjects(resolved: list[ResolvedProgram], source: FeedSource) -> None:
    """Only person-subject programs here, and the feeds each needs (a clear error, not SQL's)."""
    for r in resolved:
        subject = r.program.subject
        if subject not in SUBJECT_FEEDS:
            raise InputError(f"项目 {r.id} 按单位筛查，请用 wengang screen",
                             f"program {r.id} screens units: use `wengang screen`")
        missing = [feed for feed in SUBJECT_FEEDS[subject] if feed not in source.files]
        if missing:
            raise InputError(f"{source.path}：项目 {r.id} 需要数据 {', '.join(missing)}",
                             f"{source.path}: program {r.id} needs the feeds {', '.join(missing)}")


def _open_feeds(engine: Engine, source: FeedSource) -> None:
    """Typed views of the feeds supplied; an empty table for each feed not supplied."""
    register_views(engine.connection, source)
    for name, feed in FEEDS.items():
        if name in source.files:
            continue
        columns = ", ".join(f"CAST(NULL AS {c.sql_type}) AS {c.normalised_name}"
                            for c in feed.columns)
        engine.run(f"CREATE OR REPLACE VIEW {name} AS SELECT {columns} WHERE false")


# -- evaluation -------------------------------------------------------------------------------

_EMPTY_RESULT = ("SELECT 0::SMALLINT AS program_rank, ''::VARCHAR AS record, "
                 "''::VARCHAR AS resident_id, 0::BIGINT AS person_key, ''::VARCHAR AS uscc, "
                 "''::VARCHAR AS region_code, false AS eligible, 0::BIGINT AS amount_fen, "
                 "[]::VARCHAR[] AS failed, ''::VARCHAR AS explanation")
"""The result table: a program's id, subject and beneficiary are added when written
(``_named``), not stored on each of ten million rows."""


def _named(programs: list[ResolvedProgram], attribute: str) -> str:
    """SQL naming each row's program by ``attribute`` (id, subject, beneficiary) from its rank."""
    return "CASE program_rank " + " ".join(
        f"WHEN {rank} THEN {quote(getattr(r.program, attribute) if attribute != 'id' else r.id)}"
        for rank, r in enumerate(programs)) + " END"


def _limit_sql(resolved: ResolvedProgram, features: str, passes: str) -> tuple[str, str]:
    """(FROM clause with ``limit_rank``/``limit_prior``, the limit's rule condition)."""
    limit = resolved.program.limit
    if limit is None:
        return f"(SELECT *, {passes} AS passes FROM ({features}))", "true"
    by_year = limit.per == "person_year"
    group = "p.person_key, strftime(p.limit_date, '%Y')" if by_year else "p.person_key"
    prior = prior_payments_sql(resolved.program.subject)
    if not by_year:
        prior = f"SELECT resident_id, sum(paid) AS paid FROM ({prior}) GROUP BY 1"
    on_year = " AND pr.year = strftime(p.limit_date, '%Y')" if by_year else ""
    maximum = int(resolved.parameters[limit.max])
    ranked = f"""(
        SELECT p.*, coalesce(pr.paid, 0) AS limit_prior,
               CASE WHEN p.passes THEN coalesce(pr.paid, 0) + row_number() OVER (
                   PARTITION BY {group}, p.passes ORDER BY p.limit_date, p.record) END
                   AS limit_rank
        FROM (SELECT *, {passes} AS passes FROM ({features})) p
        LEFT JOIN ({prior}) pr ON pr.resident_id = p.resident_id{on_year})"""
    return ranked, f"(NOT passes OR limit_rank <= {maximum})"


def person_program_sql(resolved: ResolvedProgram, *, features: str, rank: int) -> str:
    """SELECT of one program's result rows over the subject's features table ``features``.

    ``features`` is sorted by person and record, and a projection keeps that order; only a
    limit (a window) reorders rows, so then they are sorted again.
    """
    program = resolved.program
    rules = list(program.rules)
    checks = ", ".join(f"coalesce(({resolved.rule_sql[rule.id]}), false) AS r_{rule.id}"
                       for rule in rules)
    passes = " AND ".join(f"r_{rule.id}" for rule in rules) or "true"
    inner = f"SELECT f.*, {checks} FROM {features} f" if checks else f"SELECT * FROM {features}"
    ranked, limit_ok = _limit_sql(resolved, inner, passes)
    amount_fen = f"CAST(floor(({resolved.amount_sql}) + 0.5) AS BIGINT)"
    limits = {"limit_rank": "f.limit_rank", "limit_prior": "f.limit_prior"}
    value_of = placeholder_sql(resolved, {"amount": amount_fen, **limits})
    # An eligible row's amount is computed once (``f.amount_if_eligible``), for its column and
    # its explanation.
    value_if_eligible = placeholder_sql(resolved, {"amount": "f.amount_if_eligible", **limits})
    failing = [(rule.id, f"NOT f.r_{rule.id}", rule.fail) for rule in rules]
    if program.limit:
        failing.append((program.limit.rule, "NOT f.r_limit", program.limit.fail))
    # The ids in sorted order, joined and split: no per-row sort or lambda. A row that is not
    # eligible fails at least one of them.
    failed = ("CASE WHEN f.eligible THEN []::VARCHAR[] ELSE string_split(concat_ws(';', "
              + ", ".join(f"CASE WHEN {condition} THEN {quote(rule_id)} END"
                          for rule_id, condition, _ in sorted(failing, key=lambda f: f[0])) + "), ';') END"
              ) if failing else "[]::VARCHAR[]"
    reasons = "concat_ws('；', " + ", ".join(
        f"CASE WHEN {condition} THEN {template_sql(fail, value_of)} END"
        for _, condition, fail in failing) + ")" if failing else "''"
    passed = [template_sql(rule.passed, value_if_eligible) for rule in rules if rule.passed]
    eligible_text = "concat_ws('；', " + ", ".join(
        [template_sql(program.amount_explanation, value_if_eligible), *passed]) + ")"
    return f"""
    SELECT
        {int(rank)}::SMALLINT                             AS program_rank,
        f.record,
        f.resident_id,
        f.person_key,
        f.uscc,
        f.region_code,
        f.eligible,
        CASE WHEN f.eligible THEN f.amount_if_eligible ELSE 0 END AS amount_fen,
        {failed}                                          AS failed,
        CASE WHEN f.eligible THEN '符合条件：' || {eligible_text}
             ELSE '不符合条件：' || {reasons} END         AS explanation
    FROM (SELECT *, CASE WHEN eligible THEN {amount_fen} END AS amount_if_eligible
          FROM (SELECT *, passes AND r_limit AS eligible
                FROM (SELECT *, {limit_ok} AS r_limit FROM {ranked}))) f
    {"ORDER BY f.person_key, f.record" if program.limit else ""}
    """


def person_output_sql(table: str, programs: list[ResolvedProgram]) -> str:
    """The person result contract (docs/feeds.md), in the result table's order.

    Rows were inserted program by program (ids sorted), each program's rows sorted by person
    (``person_key`` orders like ``resident_id``, see persons_features) and record; DuckDB keeps
    insertion order (``preserve_insertion_order``), so equal inputs give equal bytes without
    sorting ten million wide rows again.
    """
    return f"""
    SELECT {_named(programs, "id")} AS program, {_named(programs, "subject")} AS subject,
           record, resident_id, coalesce(uscc, '') AS uscc, region_code,
           {_named(programs, "beneficiary")} AS beneficiary,
           CASE WHEN eligible THEN 'true' ELSE 'false' END        AS eligible,
           {_yuan_sql("amount_fen")}                               AS amount,
           array_to_string(failed, ';')                            AS failed,
           explanation
    FROM {table}
    """


def _yuan_sql(fen: str) -> str:
    """Fen as yuan with 2 decimals (``1234`` → ``12.34``): the bytes of
    ``printf('%d.%02d', fen // 100, fen % 100)``, by casts (a fraction of printf's cost) for
    the amounts that occur, printf kept for a negative one."""
    return (f"CASE WHEN {fen} >= 0 THEN CAST({fen} // 100 AS VARCHAR) "
            f"|| CASE WHEN {fen} % 100 < 10 THEN '.0' ELSE '.' END || CAST({fen} % 100 AS VARCHAR) "
            f"ELSE printf('%d.%02d', {fen} // 100, {fen} % 100) END")


# -- plumbing ---------------------------------------------------------------------------------

def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _jsonable(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bool | int | str):
        return value
    return str(value)


def _execute(engine: Engine, sql: str, params: Mapping[str, object], source: FeedSource) -> None:
    """The one place person screening runs its SQL; data that will not convert is named."""
    try:
        engine.run(sql, dict(params))
    except duckdb.ConversionException as error:
        raise InputError(
            f"{source.path}：数据无法按约定的类型读取（{error}）；请先用 wengang import 校验",
            f"{source.path}: data does not convert to the contract's types ({error}); run "
            "`wengang import` for a full validation report") from None
    except duckdb.InvalidInputException as error:
        raise InputError(f"{source.path}：数据无法读取（{error}）",
                         f"{source.path}: data cannot be read ({error})") from None
