"""Validate a feed set: every problem of every file, found with set-based SQL over whole columns.

Order of work: find the files, read each into DuckDB as text (``readers``), check every cell
(one scan per feed, ``checks.check_sql``), keys, date ranges, then the feeds against each other
(codes known to ``units``, contribution months against ``ui_insured_since``). Problems gather in
one DuckDB table; only at the end is each row position turned into a spreadsheet row number.
No Python runs per data row: a 17-million-row contributions file costs a few table scans.

Interpretations (docs/feeds.md explains them to data officers):

- "months out of order" is read as a contribution month after the import date's month, a
  contribution month before the month the unit joined unemployment insurance, and a date range
  that ends before it starts (``difficulty.valid_to < valid_from``, ``credit.removed_on <
  listed_on``). Rows out of month order in the file, gaps between months and ``paid_on`` before
  the month paid for (prepayment) are not errors.
- Dates of past events (registration, insurance, payment, separation, listing, penalty,
  restructuring; tax years) may not lie after the import date (``clock.today()``).
"""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from .checks import (
    RESIDENT_ID_PATTERN,
    check_sql,
    detail_sql,
    ident,
    literal,
    query_parameters,
    reported_value_sql,
    resident_id_check_char_sql,
    uscc_check_char_sql,
    uscc_problem_sql,
)
from .contract import FEEDS, Kind
from .engine import Engine
from .progress import Steps
from .readers import FileScan, RawFeed, SourceFile, discover, read_feed, scan_file
from .report import LISTED_PER_KIND, LISTED_TOTAL, REPORT_COLUMNS, Problem, ValidationReport

_DATE_PATTERN = "'[0-9]{4}-[0-9]{2}-[0-9]{2}'"
_MONTH_PATTERN = "'(19|20)[0-9]{2}-(0[1-9]|1[0-2])'"
_BAD_REGIONS = "bad_region_values"
_PROBLEM_COLUMNS = 'feed, file, _i, "row", "column", value, code, detail, ref_i'


@dataclass
class Validation:
    """The outcome of validating a feed set: the raw tables (in ``engine``) and the report."""

    engine: Engine
    feed_dir: Path
    today: date
    sources: dict[str, SourceFile]
    raws: dict[str, RawFeed]
    scans: dict[str, FileScan]
    report: ValidationReport

    @property
    def present(self) -> tuple[str, ...]:
        """The feeds supplied (and readable), in contract order."""
        return tuple(name for name in FEEDS if name in self.raws)


def validate(feed_dir: Path, engine: Engine, *, today: date, steps: Steps) -> Validation:
    """Read and check every file of ``feed_dir``; the report lists every problem found."""
    sources, problems = discover(feed_dir)
    sink = _Problems(engine)
    parameters = query_parameters(today)
    raws: dict[str, RawFeed] = {}
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-hash") as pool:
        futures: dict[str, Future[FileScan]] = {
            name: pool.submit(scan_file, source.path, blank_lines=source.format == "csv")
            for name, source in sources.items()}
        for name, source in sources.items():
            with steps.step(f"读取 / reading {source.name}"):
                raw, found = read_feed(engine, source)
            problems += found
            if raw is None:
                continue
            raws[name] = raw
            if raw.rows == 0 and raw.feed.required:
                problems.append(Problem("feed_empty", file=source.name, feed=name))
            if raw.rejects:
                _add_rejected_rows(sink, raw)
        _find_bad_regions(engine, raws)
        for name, raw in raws.items():
            with steps.step(f"校验 / checking {raw.source.name}"):
                _check_cells(sink, raw, parameters)
                _check_ranges(sink, raw)
        with steps.step("主键与交叉核对 / checking keys and feeds against units"):
            _check_keys(sink, raws)
            _check_units_known(sink, raws)
            _check_persons_known(sink, raws)
            _check_insured_months(sink, raws)
        scans: dict[str, FileScan] = {}
        for name, future in futures.items():
            try:
                scans[name] = future.result()
            except OSError as error:
                if name in raws:
                    problems.append(Problem("file_unreadable", file=sources[name].name, feed=name,
                                            detail=error.strerror or str(error)))
                    raws.pop(name)
    sink.add_python(problems)
    _number_rows(engine, raws, scans)
    report = sink.report(feed_dir)
    return Validation(engine, feed_dir, today, sources, raws, scans, report)


class _Problems:
    """The problems table, listing at most ``LISTED_PER_KIND`` problems of one kind.

    A kind is file × column × code. The cap keeps a flood of identical problems (a whole column
    in the wrong format) from exhausting memory; ``unlisted`` keeps the counts exact.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        engine.run('CREATE TABLE problems (feed VARCHAR, file VARCHAR, _i BIGINT, "row" BIGINT, '
                   '"column" VARCHAR, value VARCHAR, code VARCHAR, detail VARCHAR, ref_i BIGINT)')
        engine.run('CREATE TABLE unlisted (feed VARCHAR, file VARCHAR, "column" VARCHAR, '
                   'code VARCHAR, count BIGINT)')

    def add(self, select: str, parameters: dict, *, count: int | None = None) -> None:
        """Insert the problems ``select`` yields (its columns as in ``_PROBLEM_COLUMNS``)."""
        engine = self.engine
        if count is None:
            count = engine.scalar(f"SELECT count(*) FROM ({select})", parameters)
        if not count:
            return
        if count <= LISTED_PER_KIND:
            engine.run(f"INSERT INTO problems ({_PROBLEM_COLUMNS}) {select}", parameters)
            return
        # A flood: list the first of each kind (a top-N per kind, no sort of the whole flood).
        named = f"({select}) AS found({_PROBLEM_COLUMNS})"
        kinds = engine.rows(
            f'SELECT feed, file, "column", code, count(*) FROM {named} GROUP BY ALL', parameters)
        for feed, file, column, code, found in kinds:
            engine.run(f"INSERT INTO problems ({_PROBLEM_COLUMNS}) SELECT {_PROBLEM_COLUMNS} "
                       f'FROM {named} WHERE "column" IS NOT DISTINCT FROM $kind_column '
                       f'AND code = $kind_code ORDER BY "row", _i LIMIT {LISTED_PER_KIND}',
                       parameters | {"kind_column": column, "kind_code": code})
            if found > LISTED_PER_KIND:
                engine.run("INSERT INTO unlisted VALUES (?, ?, ?, ?, ?)",
                           [feed, file, column, code, found - LISTED_PER_KIND])

    def add_python(self, problems: list[Problem]) -> None:
        """Add the problems found in Python (folders, files, headers)."""
        if not problems:
            return
        table = pa.Table.from_pylist([{name: getattr(problem, name) for name in REPORT_COLUMNS}
                                      for problem in problems])
        self.engine.connection.register("python_problems", table)
        try:
            self.engine.run(
                'INSERT INTO problems (feed, file, "row", "column", value, code, detail) '
                'SELECT feed, file, CAST("row" AS BIGINT), "column", value, code, detail '
                "FROM python_problems")
        finally:
            self.engine.connection.unregister("python_problems")

    def report(self, feed_dir: Path) -> ValidationReport:
        """Problems in report order: by feed, file, row (file-wide problems first), column."""
        engine = self.engine
        totals = engine.arrow(
            'SELECT feed, file, "column", code, sum(count)::BIGINT AS count FROM ('
            'SELECT feed, file, "column", code, count(*) AS count FROM problems GROUP BY ALL '
            "UNION ALL SELECT * FROM unlisted) GROUP BY ALL")
        kinds = max(1, totals.num_rows)
        share = max(1000, LISTED_TOTAL // kinds)
        feed_rank = "CASE feed " + " ".join(
            f"WHEN {literal(name)} THEN {rank}" for rank, name in enumerate(FEEDS)) + " ELSE -1 END"
        column_rank = "CASE " + " ".join(
            f"WHEN feed = {literal(feed.name)} AND \"column\" = {literal(column.name)} THEN {rank}"
            for feed in FEEDS.values() for rank, column in enumerate(feed.columns)) + " ELSE 99 END"
        listed = engine.arrow(
            f"SELECT {', '.join(ident(name) for name in REPORT_COLUMNS)} FROM problems "
            f"QUALIFY row_number() OVER (PARTITION BY feed, file, \"column\", code "
            f"ORDER BY \"row\" NULLS FIRST) <= {share} "
            f"ORDER BY {feed_rank}, file, \"row\" NULLS FIRST, {column_rank}, \"column\", code")
        return ValidationReport(listed, totals=totals, source=feed_dir)


def _add_rejected_rows(sink: _Problems, raw: RawFeed) -> None:
    """Rows the CSV reader could not split into the header's fields, at their line numbers."""
    sink.add(
        "SELECT $feed, $file, NULL, line, NULL, "
        f"left(rtrim(csv_line, chr(13) || chr(10)), 200), "
        "CASE WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN 'row_fields' "
        "     WHEN error_type = 'UNQUOTED VALUE' THEN 'row_quotes' "
        "     WHEN error_type IN ('INVALID ENCODING', 'INVALID UNICODE') THEN 'row_encoding' "
        "     ELSE 'row_unreadable' END, "
        "CASE WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN $fields "
        "     WHEN error_type IN ('UNQUOTED VALUE', 'INVALID ENCODING', 'INVALID UNICODE') "
        "     THEN NULL ELSE lower(error_type) END, NULL "
        f"FROM {raw.rejects}",
        {"feed": raw.feed.name, "file": raw.source.name, "fields": str(raw.fields)},
        count=raw.rejected)


# -- cells ------------------------------------------------------------------------------------

def _find_bad_regions(engine: Engine, raws: dict[str, RawFeed]) -> None:
    """Collect six-digit codes that are no region: few distinct values, checked in Python."""
    engine.run(f"CREATE TEMP TABLE {_BAD_REGIONS} (value VARCHAR)")
    known = _region_predicate()
    for raw in raws.values():
        for name in raw.columns:
            if raw.feed.column(name).kind is not Kind.REGION:
                continue
            values = [row[0] for row in engine.rows(
                f"SELECT DISTINCT {ident(name)} FROM {raw.table} "
                f"WHERE regexp_full_match({ident(name)}, '[0-9]{{6}}')")]
            bad = [value for value in values if not known(value)]
            if bad:
                engine.connection.executemany(f"INSERT INTO {_BAD_REGIONS} VALUES (?)",
                                              [[value] for value in bad])


def _region_predicate() -> Callable[[str], bool]:
    """Whether a six-digit code is a region of the GB/T 2260 table (``core.regions``).

    A county created after the table's snapshot still counts when its prefecture is known
    (``prefecture_of`` works by prefix), as region scoping does.
    """
    from wengang.core.regions import RegionError, get_region, prefecture_of

    def known(code: str) -> bool:
        try:
            get_region(code)
            return True
        except RegionError:
            pass
        try:
            return prefecture_of(code) is not None
        except RegionError:
            return False

    return known


def _check_cells(sink: _Problems, raw: RawFeed, parameters: dict[str, str]) -> None:
    """One scan of the feed counts the problems of each column; failing columns are listed.

    Most feed sets are clean, so the first scan only counts. Only a column with problems is
    scanned again, to list each failing cell with its value and detail.
    """
    feed = raw.feed
    checks = {}
    for name in raw.columns:
        column = feed.column(name)
        sql = check_sql(column, bad_values_table=_BAD_REGIONS, full_uscc=not feed.references_units)
        if sql != "CAST(NULL AS VARCHAR)":
            checks[name] = sql
    if not checks:
        return
    codes = ", ".join(f"count({sql}) AS {ident(name)}" for name, sql in checks.items())
    counts = sink.engine.rows(f"SELECT {codes} FROM {raw.table}", parameters)[0]
    for (name, sql), count in zip(checks.items(), counts, strict=True):
        if not count:
            continue
        column = feed.column(name)
        sink.add(
            f"SELECT $feed, $file, _i, NULL, $column, {reported_value_sql(column)}, code, "
            f"{detail_sql(column, 'code')}, NULL FROM ("
            f"SELECT _i, {ident(name)}, {sql} AS code FROM {raw.table}) WHERE code IS NOT NULL",
            parameters | {"feed": feed.name, "file": raw.source.name, "column": name}, count=count)


def _check_keys(sink: _Problems, raws: dict[str, RawFeed]) -> None:
    """Every row whose key repeats an earlier row's is a problem naming that earlier row.

    Keys are grouped by a 64-bit hash first (much cheaper than grouping 17 million text keys),
    all feeds in one statement; only a feed where some hash repeats is compared by actual key.
    """
    keyed = [raw for raw in raws.values() if all(name in raw.columns for name in raw.feed.key)]
    if not keyed:
        return
    counts = " UNION ALL ".join(
        f"SELECT {literal(raw.feed.name)} AS feed, count(*) AS repeated FROM ("
        f"SELECT hash({', '.join(map(ident, raw.feed.key))}) AS h FROM {raw.table} "
        f"WHERE {_filled(raw.feed.key)} GROUP BY h HAVING count(*) > 1)" for raw in keyed)
    suspects = {feed for feed, repeated in sink.engine.rows(counts) if repeated}
    for raw in keyed:
        if raw.feed.name not in suspects:
            continue
        key = ", ".join(map(ident, raw.feed.key))
        shown = " || ' | ' || ".join(f"r.{ident(name)}" for name in raw.feed.key)
        sink.add(
            f"SELECT $feed, $file, r._i, NULL, $column, left({shown}, 200), 'key_duplicate', "
            f"NULL, d.first_i FROM {raw.table} r JOIN (SELECT {key}, min(_i) AS first_i "
            f"FROM {raw.table} WHERE {_filled(raw.feed.key)} GROUP BY ALL HAVING count(*) > 1) d "
            f"USING ({key}) WHERE r._i <> d.first_i",
            {"feed": raw.feed.name, "file": raw.source.name, "column": "+".join(raw.feed.key)})


def _filled(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{ident(name)} IS NOT NULL" for name in columns)


def _check_ranges(sink: _Problems, raw: RawFeed) -> None:
    """A range whose later date precedes its earlier one (both dates well formed)."""
    for earlier, later in raw.feed.ordered:
        if earlier not in raw.columns or later not in raw.columns:
            continue
        start, end = ident(earlier), ident(later)
        sink.add(
            f"SELECT $feed, $file, _i, NULL, $column, {end}, 'date_order', "
            f"$earlier || ' = ' || {start}, NULL FROM {raw.table} "
            f"WHERE regexp_full_match({start}, {_DATE_PATTERN}) "
            f"AND regexp_full_match({end}, {_DATE_PATTERN}) "
            f"AND try_cast({end} AS DATE) < try_cast({start} AS DATE)",
            {"feed": raw.feed.name, "file": raw.source.name, "column": later, "earlier": earlier})


# -- feeds against feeds ----------------------------------------------------------------------

def _check_units_known(sink: _Problems, raws: dict[str, RawFeed]) -> None:
    """Codes in other feeds must be units; a code that is not is checked for its form too.

    Works on distinct codes (a million units, not 17 million contribution rows), all feeds in
    one statement, then marks the rows of the few codes that fail. Without a readable
    ``units``, or when some of its rows could not be read (they are reported), only the form is
    checked: every code of a dropped row would be blamed in every other feed.
    """
    units = raws.get("units")
    units_known = units is not None and "uscc" in units.columns and units.complete
    referring = [raw for raw in raws.values()
                 if raw.feed.references_units and "uscc" in raw.columns]
    if not referring:
        return
    if units_known:
        unknown = " UNION ALL ".join(
            f"SELECT {literal(raw.feed.name)} AS feed, count(*) AS unknown FROM ("
            f"SELECT DISTINCT f.uscc FROM {raw.table} f ANTI JOIN {units.table} u "
            "ON f.uscc = u.uscc WHERE f.uscc IS NOT NULL)" for raw in referring)
        suspects = {feed for feed, count in sink.engine.rows(unknown) if count}
        referring = [raw for raw in referring if raw.feed.name in suspects]
    for raw in referring:
        if units_known:
            distinct = (f"SELECT DISTINCT f.uscc FROM {raw.table} f ANTI JOIN {units.table} u "
                        "ON f.uscc = u.uscc WHERE f.uscc IS NOT NULL")
        else:
            distinct = f"SELECT DISTINCT uscc FROM {raw.table} WHERE uscc IS NOT NULL"
        fallback = "'unit_unknown'" if units_known else "NULL"
        failing = (f"SELECT * FROM (SELECT uscc, coalesce({uscc_problem_sql('uscc')}, {fallback}) "
                   f"AS code FROM ({distinct})) WHERE code IS NOT NULL")
        sink.add(
            "SELECT $feed, $file, f._i, NULL, 'uscc', left(f.uscc, 200), u.code, "
            f"CASE WHEN u.code = 'uscc_check' THEN {uscc_check_char_sql('f.uscc')} END, NULL "
            f"FROM {raw.table} f JOIN ({failing}) u USING (uscc)",
            {"feed": raw.feed.name, "file": raw.source.name})


def _check_persons_known(sink: _Problems, raws: dict[str, RawFeed]) -> None:
    """Resident IDs in person feeds must be in the feed they reference (``trainees``).

    Only well-formed IDs with a right check digit are looked up: the others are reported by the
    cell checks already. Like units, skipped while the referenced feed has unreadable rows.
    """
    for raw in raws.values():
        for name in raw.columns:
            target = raw.feed.column(name).references
            listed = raws.get(target) if target else None
            if listed is None or not listed.complete or FEEDS[target].key[0] not in listed.columns:
                continue
            column, key = ident(name), ident(FEEDS[target].key[0])
            shown = reported_value_sql(raw.feed.column(name), f"f.{column}")
            sink.add(
                f"SELECT $feed, $file, f._i, NULL, $column, {shown}, 'person_unknown', NULL, NULL "
                f"FROM {raw.table} f ANTI JOIN {listed.table} t ON f.{column} = t.{key} "
                f"WHERE regexp_full_match(f.{column}, {literal(RESIDENT_ID_PATTERN)}) "
                f"AND right(f.{column}, 1) = {resident_id_check_char_sql(f'f.{column}')}",
                {"feed": raw.feed.name, "file": raw.source.name, "column": name})


def _check_insured_months(sink: _Problems, raws: dict[str, RawFeed]) -> None:
    """A contribution month before the month the unit joined unemployment insurance."""
    units = raws.get("units")
    if units is None or not {"uscc", "ui_insured_since"} <= set(units.columns):
        return
    for raw in raws.values():
        for name in raw.columns:
            column = raw.feed.column(name)
            if not column.not_before_insured or "uscc" not in raw.columns:
                continue
            month = ident(name)
            sink.add(
                f"SELECT $feed, $file, f._i, NULL, $column, f.{month}, 'month_before_insured', "
                f"u.since, NULL FROM {raw.table} f JOIN ("
                f"  SELECT uscc, min(ui_insured_since) AS since FROM {units.table} "
                f"  WHERE regexp_full_match(ui_insured_since, {_DATE_PATTERN}) "
                f"  AND try_cast(ui_insured_since AS DATE) IS NOT NULL GROUP BY uscc) u "
                f"USING (uscc) WHERE regexp_full_match(f.{month}, {_MONTH_PATTERN}) "
                f"AND f.{month} < left(u.since, 7)",
                {"feed": raw.feed.name, "file": raw.source.name, "column": name})


# -- row numbers ------------------------------------------------------------------------------

def _number_rows(engine: Engine, raws: dict[str, RawFeed], scans: dict[str, FileScan]) -> None:
    """Turn row positions into spreadsheet row numbers (header = 1, first data row = 2).

    Rows the reader dropped (blank lines, malformed rows) still occupy their numbers: the k-th
    dropped row shifts every later data row by one. With ``a_k`` the position a data row would
    have had at the k-th dropped row, a data row at position ``i`` is row ``i + base + #{a_k ≤ i}``
    (an ASOF join finds that count).
    """
    if not raws or not engine.scalar("SELECT count(*) FROM problems WHERE _i IS NOT NULL"):
        return
    engine.run("CREATE TEMP TABLE row_bases (feed VARCHAR, base BIGINT)")
    engine.connection.executemany("INSERT INTO row_bases VALUES (?, ?)",
                                  [[raw.feed.name, raw.row_base] for raw in raws.values()])
    engine.run("CREATE TEMP TABLE dropped_rows (feed VARCHAR, line BIGINT)")
    for name, raw in raws.items():
        if raw.rejects:
            engine.run(f"INSERT INTO dropped_rows SELECT $feed, line FROM {raw.rejects}",
                       {"feed": name})
        blank = scans[name].blank_lines if name in scans else None
        if blank is not None and len(blank):
            engine.connection.register("blank_lines", pa.table({"line": blank}))
            engine.run("INSERT INTO dropped_rows SELECT $feed, line FROM blank_lines",
                       {"feed": name})
            engine.connection.unregister("blank_lines")
    engine.run("""
        CREATE TEMP TABLE row_shifts AS
        SELECT feed, a, max(k) AS k FROM (
            SELECT d.feed, d.line - b.base - (nth - 1) AS a, nth AS k
            FROM (SELECT feed, line, row_number() OVER (PARTITION BY feed ORDER BY line) AS nth
                  FROM (SELECT DISTINCT feed, line FROM dropped_rows)) d
            JOIN row_bases b USING (feed)
            WHERE d.line >= b.base)
        GROUP BY ALL""")
    engine.run("""
        CREATE TEMP TABLE numbered AS
        SELECT p.rowid AS id,
               p._i + b.base + coalesce(s.k, 0) AS "row",
               p.ref_i + b.base + coalesce(r.k, 0) AS ref_row
        FROM problems p JOIN row_bases b USING (feed)
        ASOF LEFT JOIN row_shifts s ON p.feed = s.feed AND p._i >= s.a
        ASOF LEFT JOIN row_shifts r ON p.feed = r.feed AND p.ref_i >= r.a
        WHERE p._i IS NOT NULL""")
    engine.run("""
        UPDATE problems SET "row" = n."row",
               detail = coalesce(CAST(n.ref_row AS VARCHAR), problems.detail)
        FROM numbered n WHERE problems.rowid = n.id""")
