"""Screening on Apache Spark: the statements DuckDB runs, transpiled by sqlglot (national scale).

    spark = local_session()                                 # or the cluster's SparkSession
    run = screen_on_spark(spark, snapshot_source(snapshot), programs=["inclusive-2020"],
                          as_of=date(2020, 4, 15), region_code="360000")
    run.rows()        # the result contract (FEEDS.md), sorted, as DuckDB writes it
    run.write("hdfs:///results/360000")                     # or written by the cluster

Nothing here restates a rule. The run calls the same ``..._sql`` functions and steps as
``run.screen`` (``build_features``, ``evaluate``, ``output_sql``) with a connection that speaks
Spark (``SparkConnection``): each DuckDB statement is parsed by sqlglot and written as Spark
SQL, values stay bound parameters (``$as_of`` → ``:as_of``). Three statement kinds need more
than a change of dialect, because Spark SQL has no tables of its own to write:

- ``CREATE [TEMP] TABLE t AS q`` becomes a temporary view of ``q``, checkpointed (DuckDB
  materialises the table: later steps read it, and Spark should not recompute it each time);
- ``CREATE VIEW t AS q`` becomes a temporary view of ``q``;
- ``UPDATE t AS r SET c = e … FROM (k) AS k WHERE w`` becomes a new ``t``: every row of ``t``
  left-joined to ``k`` on ``w``, each set column taken from ``e`` where a ``k`` row matched.
  That is the meaning of an UPDATE … FROM when each row matches at most one ``k`` row (the
  stacking step's ``k`` has one row per unit and group, and ``w`` joins on both).

Feeds are read from Parquet: a snapshot's own files (what a cluster reads from shared
storage), or a feed folder typed once by DuckDB (``inputs.register_views``) into Parquet.
Framework-free: no Django. PySpark is imported only when a session is made or used.
"""

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from sqlglot import exp

from wengang.policy import PolicySet, ResolvedProgram, load_policy

from .errors import ScreeningError
from .evaluate import output_sql
from .inputs import FeedSource, register_views
from .risk import DEFAULT_THRESHOLDS, RiskThresholds, sharing_sql
from .run import (
    RESULT_TABLE,
    UNITS_IN_SCOPE,
    build_features,
    connect,
    evaluate,
    region_prefix,
    resolve_programs,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

OUTPUT_COLUMNS = ("uscc", "program", "eligible", "amount", "size", "route", "layoff_rate",
                  "failed", "explanation", "risk")
_MATCHED = "wg_update_matched"
_CONVERSION = re.compile(r"%[-#+ 0,(]*[0-9]*(?:\.[0-9]+)?([a-zA-Z])")
"""The conversions of a printf format, in order (``%%`` is none)."""
"""The column marking, in a rewritten UPDATE, the rows a ``k`` row matched."""


class SparkStatementError(ScreeningError):
    """A statement Spark could not run, with its DuckDB text and the Spark SQL it became."""

    def __init__(self, duckdb_sql: str, spark_sql: str, error: Exception):
        self.duckdb_sql, self.spark_sql = duckdb_sql, spark_sql
        super().__init__(f"Spark 无法执行筛查语句（{error}）：{spark_sql[:300]}",
                         f"Spark could not run a screening statement ({error}): {spark_sql[:300]}")


def local_session(*, cores: int = 2, interpreted: bool = False,
                  app_name: str = "wengang-screening") -> "SparkSession":
    """A Spark session on this machine (tests, one server); a cluster passes its own.

    Few shuffle partitions: the default 200 would schedule mostly empty tasks here.
    ``interpreted`` evaluates expressions without generating Java code: on a small feed set
    compiling the generated code of the size table and the explanations costs more than it
    saves (a test), on millions of rows it is the other way round.
    """
    from pyspark.sql import SparkSession

    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app_name)
               .config("spark.sql.shuffle.partitions", str(cores))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "Asia/Shanghai"))
    if interpreted:
        builder = (builder.config("spark.sql.codegen.wholeStage", "false")
                   .config("spark.sql.codegen.factoryMode", "NO_CODEGEN"))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkConnection:
    """What the screening steps need of a DuckDB connection (``execute``), on Spark."""

    def __init__(self, spark: "SparkSession"):
        self.spark = spark

    def execute(self, sql: str, parameters: Mapping[str, object] | None = None) -> None:
        """Run DuckDB ``sql`` (one or more statements) with its ``$name`` values bound."""
        for statement in sqlglot.parse(sql, read="duckdb"):
            if statement is not None:
                self._run(statement, dict(parameters or {}))

    def query(self, sql: str, parameters: Mapping[str, object] | None = None) -> "DataFrame":
        """A DuckDB query as a Spark DataFrame."""
        return self._select(sqlglot.parse_one(sql, read="duckdb"), dict(parameters or {}))

    def _run(self, statement: exp.Expression, parameters: dict[str, object]) -> None:
        if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
            name = statement.this.name
            frame = self._select(statement.expression, parameters)
            if statement.kind == "TABLE":
                frame = frame.localCheckpoint(eager=True)
            frame.createOrReplaceTempView(name)
        elif isinstance(statement, exp.Update):
            table = statement.this
            self._select(update_as_select(statement, self.spark.table(table.name).columns),
                         parameters).localCheckpoint(eager=True).createOrReplaceTempView(table.name)
        else:
            self._select(statement, parameters).collect()

    def _select(self, statement: exp.Expression, parameters: dict[str, object]) -> "DataFrame":
        spark_sql = statement.transform(_spark_forms).sql(dialect="spark")
        used = {p.name: parameters[p.name] for p in statement.find_all(exp.Placeholder)
                if p.name in parameters}
        try:
            return self.spark.sql(spark_sql, args=used or None)
        except Exception as error:  # Spark's errors come from the JVM; name the statement
            raise SparkStatementError(statement.sql(dialect="duckdb"), spark_sql, error) from error


def _spark_forms(node: exp.Expression) -> exp.Expression:
    """Where sqlglot's Spark SQL is not what Spark runs.

    ``any_value`` skips NULLs in DuckDB, which Spark says with an argument (``IGNORE NULLS``
    cannot precede ``FILTER`` there); ``regexp_full_match`` is ``RLIKE`` anchored at both ends;
    ``printf`` formats a DECIMAL with ``%f`` as a DOUBLE, as DuckDB does (Java's formatter
    refuses Spark's decimal type).
    """
    if (isinstance(node, exp.Anonymous) and node.name.lower() == "printf"
            and node.expressions and node.expressions[0].is_string):
        conversions = _CONVERSION.findall(node.expressions[0].this)
        values = [exp.cast(value.copy(), "DOUBLE") if conversion in "fFeEgG" else value.copy()
                  for conversion, value in zip(conversions, node.expressions[1:], strict=False)]
        return exp.Anonymous(this=node.this, expressions=[node.expressions[0].copy(), *values])
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        return exp.Anonymous(this="ANY_VALUE", expressions=[node.this.this.copy(), exp.true()])
    if isinstance(node, exp.RegexpFullMatch):
        pattern = exp.func("concat", exp.Literal.string("^(?:"), node.expression.copy(),
                           exp.Literal.string(")$"))
        return exp.RegexpLike(this=node.this.copy(), expression=pattern)
    return node


def update_as_select(update: exp.Update, columns: list[str]) -> exp.Select:
    """``UPDATE t AS r SET … FROM k WHERE w`` as a SELECT of the whole updated ``t``.

    Each row of ``t`` is joined to at most one ``k`` row on ``w`` (see the module docstring);
    a set column takes its new value where one matched and keeps its own elsewhere.
    """
    target = update.this
    alias = target.alias_or_name
    source = update.args.get("from_") or update.args.get("from")
    where = update.args.get("where")
    if source is None or where is None:
        raise ScreeningError("UPDATE 须带 FROM 和 WHERE 才能在 Spark 上改写",
                             "an UPDATE needs FROM and WHERE to be rewritten for Spark")
    joined = source.this
    joined_alias = joined.alias_or_name
    marked = (exp.select(exp.Star(), exp.alias_(exp.true(), _MATCHED))
              .from_(joined.unalias() if isinstance(joined, exp.Subquery) else joined)
              .subquery(joined_alias))
    new_values = {assignment.this.name: assignment.expression
                  for assignment in update.expressions}
    unknown = set(new_values) - set(columns)
    if unknown:
        raise ScreeningError(f"UPDATE 设置了不存在的列 {', '.join(sorted(unknown))}",
                             f"the UPDATE sets unknown columns {', '.join(sorted(unknown))}")
    matched = exp.column(_MATCHED, table=joined_alias).is_(exp.true())
    projection = [
        exp.alias_(exp.Case().when(matched.copy(), new_values[name].copy())
                   .else_(exp.column(name, table=alias)), name)
        if name in new_values else exp.column(name, table=alias)
        for name in columns]
    return (exp.select(*projection).from_(exp.alias_(exp.to_table(target.name), alias, table=True))
            .join(marked, on=where.this.copy(), join_type="left"))


@dataclass
class SparkScreening:
    """A run's result as a Spark view (``table``), until written."""

    connection: SparkConnection
    programs: list[ResolvedProgram]
    as_of: date
    region_code: str
    table: str = RESULT_TABLE
    _workspace: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    def output(self) -> "DataFrame":
        """The result contract of FEEDS.md, sorted by unit and program."""
        return self.connection.query(output_sql(self.table))

    def rows(self) -> list[tuple[str, ...]]:
        """Every output row as text, as the CSV DuckDB writes holds it (missing = empty)."""
        return [tuple("" if value is None else str(value) for value in row)
                for row in self.output().collect()]

    def write(self, folder: Path | str) -> None:
        """Write the result as CSV part files into ``folder`` (a path or URI the cluster can
        reach); the part files, in name order, hold the rows in result order."""
        self.output().write.mode("overwrite").option("header", True).csv(str(folder))


def screen_on_spark(spark: "SparkSession", source: FeedSource, *, programs: list[str],
                    as_of: date, region_code: str, settings: Mapping[str, str] | None = None,
                    policy: PolicySet | None = None,
                    risk: RiskThresholds = DEFAULT_THRESHOLDS) -> SparkScreening:
    """Decide every unit of ``region_code`` under each program as of ``as_of``, on Spark.

    The steps of ``run.screen`` (one pass; Spark partitions the work itself, so no slices).
    """
    policy = policy or load_policy()
    resolved = resolve_programs(policy, programs, as_of=as_of, region_code=region_code,
                                settings=dict(settings or {}))
    connection = SparkConnection(spark)
    workspace = _register_feeds(spark, source)
    # As run.open_feeds: the region's units once, then what units share over all of them.
    params = {"region_prefix": region_prefix(region_code)}
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {UNITS_IN_SCOPE} AS "
                       "SELECT * FROM units WHERE region_code LIKE $region_prefix", params)
    connection.execute(f"CREATE OR REPLACE VIEW units AS SELECT * FROM {UNITS_IN_SCOPE}")
    for statement in sharing_sql():
        connection.execute(statement, params)
    tables = build_features(connection, source, years={r.program.assessment_year for r in resolved},
                            as_of=as_of, region_code=region_code, risk=risk,
                            step=lambda _label: None)
    evaluate(connection, RESULT_TABLE, resolved, tables, source)
    return SparkScreening(connection=connection, programs=resolved, as_of=as_of,
                          region_code=region_code, _workspace=workspace)


def _register_feeds(spark: "SparkSession", source: FeedSource) -> tempfile.TemporaryDirectory | None:
    """One temporary view per feed, over Parquet with the snapshot's normalised columns."""
    if source.kind == "snapshot":
        for feed, path in source.files.items():
            spark.read.parquet(str(path)).createOrReplaceTempView(feed)
        return None
    # A folder: DuckDB types it once (the contract's casts, in one place), Spark reads that.
    workspace = tempfile.TemporaryDirectory(prefix="wg-spark-feeds-")
    con = connect()
    try:
        register_views(con, source)
        for feed in source.files:
            path = Path(workspace.name) / f"{feed}.parquet"
            literal = str(path).replace("'", "''")
            con.execute(f"COPY (SELECT * FROM {feed}) TO '{literal}' (FORMAT parquet)")
            spark.read.parquet(str(path)).createOrReplaceTempView(feed)
    except BaseException:
        workspace.cleanup()
        raise
    finally:
        con.close()
    return workspace


__all__ = ["OUTPUT_COLUMNS", "SparkConnection", "SparkScreening", "SparkStatementError",
           "local_session", "screen_on_spark", "update_as_select"]
