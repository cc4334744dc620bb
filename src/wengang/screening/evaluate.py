"""Every program's rules over every unit at once, as DuckDB SQL over the features table.

For one resolved program: one boolean column per rule (a NULL counts as a failure: a rule
must be shown to pass), the amount in fen rounded half-up once, the route and the explanation.
Programs of one stacking group are settled together: a unit keeps the larger amount.

The programs of one assessment year are decided side by side, in one row per unit, over the
units sorted by USCC once (``decided_sql``); the row then becomes one result row per program,
in program order. So the result table is written in (uscc, program) order and its two million
rows with their long explanations are never sorted, and stacking is settled within the row.
"""

import re
from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.simplify import simplify

from wengang.policy import ResolvedProgram
from wengang.policy.expressions import literal, to_sql
from wengang.policy.features import FEATURES
from wengang.policy.templates import Placeholder, quote, template_pieces, template_sql

from .errors import ScreeningError

RISK_SUFFIX = "CASE WHEN {reasons} <> '' THEN '。风险提示：' || {reasons} ELSE '' END"
"""The reviewer's signals, appended to the explanation once, as it is built."""

RESULT_COLUMNS = ("uscc", "program", "eligible", "amount_fen", "size", "route", "layoff_rate",
                  "failed", "explanation", "stacking_group", "stacking_rank", "program_name",
                  "risk", "risk_reasons")
"""The columns of a result table (``results_sql``), in order."""


def placeholder_sql(resolved: ResolvedProgram, extra: dict[str, str]):
    """How a template placeholder is read: derived SQL, a parameter literal, or a column."""
    def value_of(name: str) -> str:
        if name in extra:
            return extra[name]
        if name in resolved.derived_sql:
            return f"({resolved.derived_sql[name]})"
        if name in resolved.parameters:
            return to_sql(literal(resolved.parameters[name]))
        if name.endswith("_fen") and name[:-4] in resolved.parameters:
            return str(int(resolved.parameters[name[:-4]] * 100))
        if name in ("assessment_year", "refund_year"):
            return str(getattr(resolved.program, name))
        return f"f.{name}"

    return value_of


def _amount_sql(resolved: ResolvedProgram) -> str:
    return f"CAST(floor(({resolved.amount_sql}) + 0.5) AS BIGINT)"


def _decided_sql(programs: list[ResolvedProgram], source: str) -> str:
    """``source``'s rows with, for each program ``n``, its rules (``r<n>_<rule id>``), its
    decision before stacking (``e<n>``) and its amount in fen (``a<n>``).

    Each rule is evaluated once, into its column, that the decision, the failed list and the
    explanation then read.
    """
    checks = ",\n            ".join(
        f"coalesce(({r.rule_sql[rule.id]}), false) AS r{n}_{rule.id}"
        for n, r in enumerate(programs) for rule in r.program.rules)
    decisions = ",\n        ".join(
        f"{' AND '.join(f'r{n}_{rule.id}' for rule in r.program.rules) or 'true'} AS e{n}"
        for n, r in enumerate(programs))
    amounts = ",\n    ".join(f"CASE WHEN e{n} THEN {_amount_sql(r)} ELSE 0 END AS a{n}"
                              for n, r in enumerate(programs))
    return f"""
    SELECT *,
    {amounts}
    FROM (
        SELECT *,
        {decisions}
        FROM (SELECT f.*,
            {checks}
            FROM {source} f) f
    ) f"""


def _rivals(programs: list[ResolvedProgram], n: int) -> list[int]:
    """The other programs of program ``n``'s stacking group in the row."""
    stacking = programs[n].program.stacking
    return [] if stacking is None else [
        j for j, r in enumerate(programs) if j != n and r.program.stacking is not None
        and r.program.stacking.group == stacking.group]


def _kept_sql(programs: list[ResolvedProgram], n: int) -> str:
    """Whether program ``n`` keeps its refund (``k<n>``): eligible, and no other eligible
    program of its group pays more (ties: the lower rank, then the earlier program)."""
    rank = (programs[n].program.stacking.rank, n) if programs[n].program.stacking else None
    conditions = [f"f.e{n}"]
    for j in _rivals(programs, n):
        n_wins_a_tie = (programs[j].program.stacking.rank, j) > rank
        conditions.append(f"(NOT f.e{j} OR f.a{j} < f.a{n}"
                          f"{f' OR f.a{j} = f.a{n}' if n_wins_a_tie else ''})")
    return " AND ".join(conditions)


def _row_sql(programs: list[ResolvedProgram], n: int, *, written: bool = False) -> dict[str, str]:
    """The result columns of program ``n``, over a row of ``_settled_sql`` (``written``: the
    output's columns instead, ``WRITTEN_COLUMNS``, as ``output_sql`` shows a result row)."""
    resolved = programs[n]
    program = resolved.program
    value_of = placeholder_sql(resolved, {"amount": _amount_sql(resolved)})
    value_if_eligible = placeholder_sql(resolved, {"amount": f"f.a{n}"})  # computed once, in ``a<n>``
    # The ids in sorted order, joined (and split for a list): no per-row sort or lambda.
    failed_ids = "concat_ws(';', " + ", ".join(
        f"CASE WHEN NOT f.r{n}_{rule_id} THEN '{rule_id}' END"
        for rule_id in sorted(rule.id for rule in program.rules)) + ")"
    failed = f"CASE WHEN f.e{n} THEN []::VARCHAR[] ELSE string_split({failed_ids}, ';') END"
    failed_text = f"CASE WHEN f.e{n} THEN '' ELSE {failed_ids} END"
    risk_suffix = RISK_SUFFIX.format(reasons="f.risk_reasons")
    fail_reasons = "concat_ws('；', " + ", ".join(
        f"CASE WHEN NOT f.r{n}_{rule.id} THEN {template_sql(rule.fail, value_of)} END"
        for rule in program.rules) + ")"
    # The amount and the reasons met, joined by '；', then the risk signals: one concat of every
    # piece (none is NULL) builds each explanation once, not a text copied into a longer one.
    met = [template_pieces(program.amount_explanation, value_if_eligible),
           *(template_pieces(rule.passed, value_if_eligible)
             for rule in program.rules if rule.passed)]
    met_pieces = [piece for number, pieces in enumerate(met)
                  for piece in ([quote("；")] if number else []) + pieces]
    eligible_text = ", ".join([quote("符合条件："), *met_pieces, risk_suffix])
    text = (f"CASE WHEN f.e{n} THEN concat({eligible_text}) "
            f"ELSE concat('不符合条件：', {fail_reasons}, {risk_suffix}) END")
    others = _rivals(programs, n)
    if others:  # eligible, but another program of the group pays more: rule ``stacking``
        stacked = f"(f.e{n} AND NOT f.k{n})"
        kept_name = "CASE " + " ".join(f"WHEN f.k{j} THEN {quote(programs[j].program.name)}"
                                       for j in others) + " END"
        kept_fen = "CASE " + " ".join(f"WHEN f.k{j} THEN f.a{j}" for j in others) + " END"
        failed = f"CASE WHEN {stacked} THEN ['stacking'] ELSE {failed} END"
        failed_text = f"CASE WHEN {stacked} THEN 'stacking' ELSE {failed_text} END"
        text = (f"CASE WHEN {stacked} THEN '不符合条件：不重复享受，已享受' || {kept_name} || ' ' "
                f"|| printf('%,.2f', {kept_fen} / 100.0) || ' 元（金额较高）；本项目测算 ' "
                f"|| printf('%,.2f', f.a{n} / 100.0) || ' 元' || {risk_suffix} ELSE {text} END")
    layoff_rate = (f"({resolved.derived_sql['layoff_rate']})" if "layoff_rate" in resolved.derived_sql
                   else "f.layoff_rate_net_headcount")
    group = program.stacking.group if program.stacking else None
    row = {
        "uscc": "f.uscc",
        "program": quote(program.id),
        "eligible": f"f.k{n}",
        "amount_fen": f"CASE WHEN f.k{n} THEN f.a{n} ELSE 0 END",
        "size": "f.size",
        "route": f"f.route{n}",
        "layoff_rate": f"round(CAST({layoff_rate} AS DECIMAL(18, 8)), 4)",
        "failed": failed,
        "explanation": text,
        "stacking_group": f"{'NULL' if group is None else quote(group)}::VARCHAR",
        "stacking_rank": str(program.stacking.rank if program.stacking else 0),
        "program_name": quote(program.name),
        "risk": "f.risk",
        "risk_reasons": "f.risk_reasons",
    }
    if not written:
        return row
    # The list's text without the list: the same ids, joined by ';' as ``output_sql`` joins them.
    return {**_written_sql(row), "failed": failed_text}


def _settled_sql(programs: list[ResolvedProgram], source: str) -> str:
    """``source``'s rows as ``_decided_sql`` gives them, with, for each program ``n``, whether
    it keeps its refund once stacking is settled (``k<n>``) and its route (``route<n>``).
    ``programs`` in id order."""
    kept = ", ".join(f"{_kept_sql(programs, n)} AS k{n}" for n in range(len(programs)))
    routes = ", ".join(
        f"CASE WHEN NOT f.k{n} THEN 'none' WHEN "
        f"{f'coalesce(({r.automatic_sql}), false)' if r.automatic_sql else 'false'} "
        f"THEN 'automatic' ELSE 'application' END AS route{n}"
        for n, r in enumerate(programs))
    return f"""
    SELECT *, {routes}
    FROM (SELECT *, {kept} FROM ({_decided_sql(programs, source)}) f) f"""


def _unnested_sql(programs: list[ResolvedProgram], settled: str, columns: Iterable[str], *,
                  written: bool = False) -> str:
    """Each program's result row (``columns`` of them) of each row of ``settled``, in the
    order of ``settled``, programs in id order (``written``: rows as written, see ``_row_sql``)."""
    columns = tuple(columns)
    rows = ", ".join("struct_pack(" + ", ".join(
        f"{name} := {sql}" for name, sql in _row_sql(programs, n, written=written).items()
        if name in columns) + ")" for n in range(len(programs)))
    return f"""
    SELECT {", ".join(f"r.{name}" for name in columns)}
    FROM (SELECT unnest([{rows}]) AS r FROM {settled} f)
    """


def _rows_sql(programs: list[ResolvedProgram], source: str) -> str:
    """Every program's result row of each unit of ``source``, unit by unit, programs in id
    order, stacking settled among them."""
    programs = sorted(programs, key=lambda r: r.id)
    return _unnested_sql(programs, f"({_settled_sql(programs, source)})", RESULT_COLUMNS)


def features_read(programs: Iterable[ResolvedProgram]) -> frozenset[str]:
    """The features the programs' rules, amounts, routes and explanations read, once their
    parameters are fixed: ``CASE 'net_headcount' WHEN 'net_headcount' THEN … END`` reads one
    layoff rate, not the three it names (the screening then skips the feeds nobody reads)."""
    names = {"layoff_rate_net_headcount", "size"}  # read by every result row (``_row_sql``)
    for resolved in programs:
        for sql in (*resolved.rule_sql.values(), *resolved.derived_sql.values(),
                    resolved.amount_sql, resolved.automatic_sql or "true"):
            tree = simplify(sqlglot.parse_one(sql, read="duckdb"))
            names.update(column.name for column in tree.find_all(exp.Column))
        program = resolved.program
        for template in (program.amount_explanation, *(rule.fail for rule in program.rules),
                         *(rule.passed for rule in program.rules)):
            names.update(part.name for part in template if isinstance(part, Placeholder))
    return frozenset(names & FEATURES.keys())


def _features_named(sql: str) -> list[str]:
    """The features ``sql`` names (policy files may name no other column of a features table)."""
    return [name for name in FEATURES if re.search(rf"\b{name}\b", sql)]


def program_sql(resolved: ResolvedProgram, *, features: str, risk: str) -> str:
    """SELECT of one program's result rows (before stacking), with the unit's risk flags."""
    return _rows_sql([resolved], f"(SELECT f.*, k.risk, k.risk_reasons FROM {features} f "
                                 f"JOIN {risk} k USING (uscc))")


OUTCOME_COLUMNS = ("program", "eligible", "amount_fen", "size", "route")
"""The columns of an outcomes view (``results_sql``): a result row without its text."""


def decided_sql(table: str, programs: list[ResolvedProgram], *, features: str, risk: str) -> str:
    """Create ``table``: each unit's features the programs read, its risk flags and every
    program's rules, decision, amount, kept refund and route (``_settled_sql``), in USCC order.

    Sorting the units once here, on the few columns the programs read and before any text is
    built, is what keeps the results in order: the next step reads this one table through
    SELECT and UNNEST only, which keep its order.
    """
    programs = sorted(programs, key=lambda r: r.id)
    named = _features_named(_settled_sql(programs, "t")
                            + _unnested_sql(programs, "t", RESULT_COLUMNS))
    selected = "".join(f"f.{name}, " for name in named if name != "uscc")
    source = (f"(SELECT f.uscc, {selected}k.risk, k.risk_reasons "
              f"FROM {features} f JOIN {risk} k USING (uscc))")
    return f"""
    CREATE OR REPLACE TEMP TABLE {table} AS
    SELECT * FROM ({_settled_sql(programs, source)}) ORDER BY uscc
    """


def results_sql(table: str, programs: list[tuple[ResolvedProgram, str, str]], *,
                view: bool = False, outcomes: str | None = None,
                written: str | None = None) -> list[str]:
    """Statements creating ``table``: all programs' rows in (uscc, program) order, stacking
    settled.

    ``programs`` pairs each resolved program with its features and risk tables (one pair per
    assessment year). The programs of one year are decided over one table of units sorted by
    USCC (``decided_sql``), so ``table`` is written in order; the rows of several years are
    sorted at the end.

    ``view``: ``table`` is a view building the rows and their explanations when read, not a
    table holding them (a run that reads them once, to write them, never stores the text of
    two million rows); several years' rows are still sorted into a table. ``outcomes``: also
    create this view of the rows without their text (``OUTCOME_COLUMNS``), for counts and sums.
    ``written``: also create this view of the rows as the output file holds them (``output_sql``);
    over a view, each row's text is built straight in that form (no list of failed rules to join).

    In a stacking group a unit eligible for several programs keeps the largest amount (ties: the
    lower rank, e.g. the inclusive refund); the others become ineligible with rule ``stacking``.
    The programs of a group are decided in the same row, so they share an assessment year.
    """
    years: dict[tuple[str, str], list[ResolvedProgram]] = {}
    for resolved, features, risk in programs:
        years.setdefault((features, risk), []).append(resolved)
    groups: dict[str, set[tuple[str, str]]] = {}
    for year, year_programs in years.items():
        for resolved in year_programs:
            if resolved.program.stacking is not None:
                groups.setdefault(resolved.program.stacking.group, set()).add(year)
    spanning = sorted(group for group, in_years in groups.items() if len(in_years) > 1)
    if spanning:
        raise ScreeningError(
            f"不重复享受的项目组 {', '.join(spanning)} 含不同考核年度的项目，无法一并比较；请分开筛查",
            f"stacking group(s) {', '.join(spanning)} hold programs of different assessment "
            "years, which cannot be settled together; screen them separately")
    years = {year: sorted(year_programs, key=lambda r: r.id)
             for year, year_programs in years.items()}
    decided = {year: f"{year[0]}_decided" for year in years}
    selects = [_unnested_sql(year_programs, decided[year], RESULT_COLUMNS)
               for year, year_programs in years.items()]
    rows = selects[0] if len(selects) == 1 else (
        "SELECT * FROM (" + "\nUNION ALL\n".join(selects) + ") ORDER BY uscc, program")
    statements = [decided_sql(decided[year], year_programs, features=year[0], risk=year[1])
                  for year, year_programs in years.items()]
    as_view = view and len(selects) == 1
    statements.append(f"CREATE OR REPLACE TEMP {'VIEW' if as_view else 'TABLE'} {table} AS {rows}")
    if written is not None:
        if as_view:
            (year, year_programs), = years.items()
            rows_written = _unnested_sql(year_programs, decided[year], WRITTEN_COLUMNS,
                                         written=True)
        else:
            rows_written = output_sql(table, ordered=True)
        statements.append(f"CREATE OR REPLACE TEMP VIEW {written} AS {rows_written}")
    if outcomes is not None:
        statements.append(f"CREATE OR REPLACE TEMP VIEW {outcomes} AS " + "\nUNION ALL\n".join(
            _unnested_sql(year_programs, decided[year], OUTCOME_COLUMNS)
            for year, year_programs in years.items()))
    return statements


WRITTEN_COLUMNS = ("uscc", "program", "eligible", "amount", "size", "route", "layoff_rate",
                   "failed", "explanation", "risk")
"""The output's columns (the result contract of FEEDS.md, plus ``risk``), in order."""


def _written_sql(row: dict[str, str]) -> dict[str, str]:
    """The output's columns as text, over the SQL of a result row's columns (``row``)."""
    amount = f"({row['amount_fen']})"
    return {
        "uscc": row["uscc"],
        "program": row["program"],
        "eligible": f"CASE WHEN {row['eligible']} THEN 'true' ELSE 'false' END",
        "amount": (f"CAST({amount} // 100 AS VARCHAR) "
                   f"|| CASE WHEN {amount} % 100 < 10 THEN '.0' ELSE '.' END "
                   f"|| CAST({amount} % 100 AS VARCHAR)"),
        "size": row["size"],
        "route": row["route"],
        "layoff_rate": f"CAST(CAST(({row['layoff_rate']}) AS DECIMAL(18, 4)) AS VARCHAR)",
        "failed": f"array_to_string({row['failed']}, ';')",
        "explanation": row["explanation"],
        "risk": row["risk"],
    }


def output_sql(table: str, *, ordered: bool = False) -> str:
    """The result contract of FEEDS.md (plus ``risk``), sorted so equal inputs give equal bytes;
    ``ordered`` when ``table`` already reads in that order (a ``results_sql`` table does, in
    DuckDB; an engine that does not keep a table's order, such as Spark, sorts)."""
    columns = _written_sql({name: name for name in RESULT_COLUMNS})
    select = ",\n        ".join(f"{sql} AS {name}" for name, sql in columns.items())
    return f"""
    SELECT
        {select}
    FROM {table}
    {"" if ordered else "ORDER BY uscc, program"}
    """
