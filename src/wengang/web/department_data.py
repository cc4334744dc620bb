"""What a department's own data says about each unit of a review batch (部门联审).

A reviewer checks the agency's list against their own records; the page puts those records
beside each case, read from the feeds the case's screening run used (the department's own
feed in that snapshot), and marks what speaks against the refund:

    tax          revenue and total assets of the assessment year (the size test), as yuan
    market       registration status (not active: a concern) and the abnormal-operation list
    ndrc         serious-dishonesty listings active on the screening date
    environment  penalties from the assessment year on (major ones: a concern)
    miit, sasac  difficulty certificates valid on the screening date
    finance      no feed of its own: the amount, on the page already, is what it checks

Each ``..._sql`` returns (uscc, fact, concern) rows for the units bound as ``$usccs``.
"""

from collections import defaultdict
from dataclasses import dataclass

import duckdb

from wengang.cases.errors import LoadError
from wengang.cases.loading import run_inputs
from wengang.cases.models import Case, ScreeningRun
from wengang.core.errors import CoreError
from wengang.screening.inputs import register_views


@dataclass(frozen=True)
class Fact:
    text: str
    concern: bool


def tax_sql() -> str:
    return """
        SELECT uscc, '营业收入 ' || printf('%.2f', revenue_fen / 100) || ' 元，资产总额 '
                     || printf('%.2f', total_assets_fen / 100) || ' 元（' || year || ' 年）', false
        FROM tax WHERE uscc IN (SELECT unnest($usccs)) AND CAST(year AS INTEGER) = $assessment_year"""


def registry_sql() -> str:
    return """
        SELECT uscc, '登记状态：' || CASE status WHEN 'active' THEN '存续' WHEN 'revoked' THEN '吊销'
                    WHEN 'cancelled' THEN '注销' WHEN 'liquidating' THEN '清算'
                    WHEN 'bankrupt' THEN '破产' ELSE status END, status <> 'active'
        FROM registry WHERE uscc IN (SELECT unnest($usccs))
        UNION ALL
        SELECT uscc, '列入经营异常名录', true
        FROM registry WHERE uscc IN (SELECT unnest($usccs)) AND abnormal"""


def credit_sql() -> str:
    return """
        SELECT uscc, '严重失信名单：' || listed_on || ' 列入'
                     || coalesce('，' || removed_on || ' 移出', ''),
               removed_on IS NULL OR removed_on > $as_of
        FROM credit WHERE uscc IN (SELECT unnest($usccs)) AND listed_on <= $as_of"""


def environment_sql() -> str:
    return """
        SELECT uscc, penalty_on || ' 环境行政处罚（'
                     || CASE severity WHEN 'major' THEN '重大' ELSE '一般' END || '）',
               severity = 'major'
        FROM environment
        WHERE uscc IN (SELECT unnest($usccs)) AND year(penalty_on) >= $assessment_year"""


def difficulty_sql() -> str:
    return """
        SELECT uscc, '困难企业认定：' || valid_from || ' 至 ' || valid_to, false
        FROM difficulty WHERE uscc IN (SELECT unnest($usccs))
          AND valid_from <= $as_of AND valid_to >= $as_of"""


FEED_SQL = {"tax": ("tax", tax_sql), "market": ("registry", registry_sql),
            "ndrc": ("credit", credit_sql), "environment": ("environment", environment_sql),
            "miit": ("difficulty", difficulty_sql), "sasac": ("difficulty", difficulty_sql)}
"""Department → (its feed, the query of what it says)."""


def department_facts(department: str, cases: list[Case]) -> tuple[dict[int, list[Fact]], str]:
    """Per case id, what ``department``'s own data says; and a problem reading it, if any.

    A unit the department's feed does not mention gets no fact (for a blacklist, good news).
    """
    if department not in FEED_SQL:
        return {}, ""
    feed, sql = FEED_SQL[department]
    by_run: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_run[case.screening_run_id].append(case)
    facts: dict[int, list[Fact]] = defaultdict(list)
    problems = []
    for run in ScreeningRun.objects.filter(pk__in=by_run):
        try:
            source = run_inputs(run.record)
        except KeyError:
            problems.append(f"筛查批次 #{run.pk} 的运行记录不完整 / the record of screening run "
                            f"#{run.pk} is incomplete")
            continue
        except (LoadError, CoreError) as error:  # the run's feeds moved or changed
            problems.append(str(error))
            continue
        if feed not in source.files:
            continue
        in_run = by_run[run.pk]
        by_uscc = {case.unit.uscc: case.pk for case in in_run}
        params = {"usccs": list(by_uscc), "as_of": run.as_of,
                  "assessment_year": in_run[0].refund_year - 1}
        text = sql()
        with duckdb.connect() as con:
            register_views(con, source)
            # DuckDB refuses named values a statement does not use.
            rows = con.execute(text, {k: v for k, v in params.items() if f"${k}" in text}).fetchall()
        for uscc, text, concern in rows:
            facts[by_uscc[uscc]].append(Fact(text, bool(concern)))
    return dict(facts), "；".join(problems)
