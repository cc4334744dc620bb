"""Every program's rules over every unit at once, as DuckDB SQL over the features table.

For one resolved program: one boolean column per rule (a NULL counts as a failure: a rule
must be shown to pass), the amount in fen rounded half-up once, the route and the explanation.
Programs of one stacking group are then settled together: a unit keeps the larger amount.
"""

from wengang.policy import ResolvedProgram
from wengang.policy.expressions import literal, to_sql
from wengang.policy.templates import quote, template_sql

RISK_SUFFIX = "CASE WHEN {reasons} <> '' THEN '。风险提示：' || {reasons} ELSE '' END"
"""The reviewer's signals, appended to the explanation once, as it is built."""


def _name_sql(resolved: ResolvedProgram, extra: dict[str, str]):
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


def program_sql(resolved: ResolvedProgram, *, features: str, risk: str) -> str:
    """SELECT of one program's result rows (before stacking), with the unit's risk flags.

    Each rule is evaluated once, into a column ``r_<rule id>``, that the decision, the failed
    list and the explanation then read.
    """
    program = resolved.program
    checks = ",\n            ".join(
        f"coalesce(({resolved.rule_sql[rule.id]}), false) AS r_{rule.id}" for rule in program.rules)
    eligible = " AND ".join(f"r_{rule.id}" for rule in program.rules) or "true"
    amount_fen = f"CAST(floor(({resolved.amount_sql}) + 0.5) AS BIGINT)"
    value_of = _name_sql(resolved, {"amount": amount_fen})
    failed = ("list_sort(list_filter([" + ", ".join(
        f"CASE WHEN NOT f.r_{rule.id} THEN '{rule.id}' END" for rule in program.rules)
        + "], lambda x: x IS NOT NULL))")
    fail_reasons = "concat_ws('；', " + ", ".join(
        f"CASE WHEN NOT f.r_{rule.id} THEN {template_sql(rule.fail, value_of)} END"
        for rule in program.rules) + ")"
    pass_reasons = [template_sql(rule.passed, value_of) for rule in program.rules if rule.passed]
    eligible_text = "concat_ws('；', " + ", ".join(
        [template_sql(program.amount_explanation, value_of), *pass_reasons]) + ")"
    automatic = f"coalesce(({resolved.automatic_sql}), false)" if resolved.automatic_sql else "false"
    layoff_rate = (f"({resolved.derived_sql['layoff_rate']})" if "layoff_rate" in resolved.derived_sql
                   else "f.layoff_rate_net_headcount")
    group = program.stacking.group if program.stacking else None
    rank = program.stacking.rank if program.stacking else 0
    return f"""
    SELECT
        f.uscc,
        '{program.id}'                                   AS program,
        f.eligible,
        CASE WHEN f.eligible THEN {amount_fen} ELSE 0 END AS amount_fen,
        f.size,
        CASE WHEN NOT f.eligible THEN 'none'
             WHEN {automatic} THEN 'automatic' ELSE 'application' END AS route,
        round(CAST({layoff_rate} AS DECIMAL(18, 8)), 4)  AS layoff_rate,
        {failed}                                         AS failed,
        CASE WHEN f.eligible THEN '符合条件：' || {eligible_text}
             ELSE '不符合条件：' || {fail_reasons} END
            || {RISK_SUFFIX.format(reasons="k.risk_reasons")} AS explanation,
        {"NULL" if group is None else quote(group)}::VARCHAR AS stacking_group,
        {rank}                                           AS stacking_rank,
        {quote(program.name)}                            AS program_name,
        k.risk,
        k.risk_reasons
    FROM (
        SELECT *, {eligible} AS eligible
        FROM (SELECT f.*,
            {checks}
            FROM {features} f) f
    ) f JOIN {risk} k USING (uscc)
    """


def results_sql(table: str, programs: list[tuple[ResolvedProgram, str, str]]) -> list[str]:
    """Statements creating ``table``: all programs' rows, then stacking settled in place.

    ``programs`` pairs each resolved program with its features and risk tables (one pair per
    assessment year).

    In a stacking group a unit eligible for several programs keeps the largest amount (ties: the
    lower rank, e.g. the inclusive refund); the others become ineligible with rule ``stacking``.
    Only units eligible under two programs of a group need settling, so they are updated in
    place: a small aggregate and a few rows, not a second copy of every row and its text.
    """
    union = "\nUNION ALL\n".join(program_sql(r, features=f, risk=k) for r, f, k in programs)
    return [f"CREATE OR REPLACE TEMP TABLE {table} AS {union}", f"""
    UPDATE {table} AS r SET
        eligible = false,
        amount_fen = 0,
        route = 'none',
        failed = list_sort(list_append(r.failed, 'stacking')),
        explanation = '不符合条件：不重复享受，已享受' || k.kept_name || ' '
            || printf('%,.2f', k.kept_fen / 100.0) || ' 元（金额较高）；本项目测算 '
            || printf('%,.2f', r.amount_fen / 100.0) || ' 元'
            || {RISK_SUFFIX.format(reasons="r.risk_reasons")}
    FROM (
        SELECT uscc, stacking_group,
            arg_max(program, struct_pack(amount := amount_fen, rank := -stacking_rank)) AS kept_program,
            arg_max(program_name, struct_pack(amount := amount_fen, rank := -stacking_rank)) AS kept_name,
            max(amount_fen) AS kept_fen
        FROM {table}
        WHERE eligible AND stacking_group IS NOT NULL
        GROUP BY uscc, stacking_group
        HAVING count(*) > 1
    ) AS k
    WHERE r.uscc = k.uscc AND r.stacking_group = k.stacking_group AND r.eligible
      AND r.program <> k.kept_program
    """]


def output_sql(table: str, *, ordered: bool = False) -> str:
    """The result contract of FEEDS.md (plus ``risk``), sorted so equal inputs give equal bytes;
    ``ordered`` when ``table`` already reads in that order (slices written sorted)."""
    return f"""
    SELECT
        uscc,
        program,
        CASE WHEN eligible THEN 'true' ELSE 'false' END             AS eligible,
        printf('%d.%02d', amount_fen // 100, amount_fen % 100)       AS amount,
        size,
        route,
        printf('%.4f', layoff_rate)                                  AS layoff_rate,
        array_to_string(failed, ';')                                 AS failed,
        explanation,
        risk
    FROM {table}
    {"" if ordered else "ORDER BY uscc, program"}
    """
